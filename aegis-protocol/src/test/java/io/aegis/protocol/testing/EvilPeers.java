package io.aegis.protocol.testing;

import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.crypto.StrictBase64;
import java.util.Base64;

/**
 * Hand-built handshake messages for attacks the real state machines never produce: signatures
 * under the wrong context or by the wrong key. Built with {@link SpecMath} only.
 */
public final class EvilPeers {

    private EvilPeers() {
    }

    /** The state an evil client keeps between its messages. */
    public static final class Client {
        public final byte[] eAPriv;
        public final byte[] ch;
        public final String m1;

        public Client(String agentId, byte[] agentPub, byte[] backendKeyId, byte[] eAPriv, byte[] nA, long ts) {
            this.eAPriv = eAPriv;
            byte[] eA = SpecMath.x25519Public(eAPriv);
            this.ch = SpecMath.ch(1, Protocol.SUITE, agentId, agentPub, backendKeyId, eA, nA, ts);
            this.m1 = "{\"type\":\"client_hello\",\"version\":1,\"suite\":\"" + Protocol.SUITE + "\",\"agent_id\":\""
                    + agentId + "\",\"public_key\":\"" + b64(agentPub) + "\",\"backend_key_id\":\""
                    + io.aegis.protocol.crypto.Hex.encode(backendKeyId) + "\",\"ephemeral_key\":\"" + b64(eA)
                    + "\",\"nonce\":\"" + b64(nA) + "\",\"timestamp\":" + ts + "}";
        }

        /** M3 signed by {@code signer} under {@code context}, over the real transcript. */
        public String clientAuth(String m2, IdentityKeyPair signer, String context, byte[] backendPub, byte[] agentPub) {
            byte[] eB = StrictBase64.decode(Frames.text(m2, "backend_key"));
            byte[] nB = StrictBase64.decode(Frames.text(m2, "nonce"));
            byte[] c = StrictBase64.decode(Frames.text(m2, "sealed"));
            byte[] sh = SpecMath.sh(1, Protocol.SUITE, eB, nB);
            byte[] thHello = SpecMath.sha256(ch, sh);
            byte[] hs = SpecMath.extract(thHello, SpecMath.x25519(eAPriv, eB));
            byte[] cHs = SpecMath.expandLabel(hs, "c hs", thHello, 32);
            byte[] sigA = signer.sign(SpecMath.signInput(context, SpecMath.sha256(ch, sh, c, backendPub, agentPub)));
            byte[] c3 = SpecMath.seal(SpecMath.key(cHs), SpecMath.iv(cHs), SpecMath.sha256(ch, sh, c), sigA);
            return "{\"type\":\"client_auth\",\"sealed\":\"" + b64(c3) + "\"}";
        }
    }

    /** M2 answering {@code ch} signed by {@code signer} under {@code context}. */
    public static String serverHello(byte[] ch, byte[] eA, IdentityKeyPair signer, String context, byte[] agentPub,
                                     byte[] eBPriv, byte[] nB) {
        byte[] eB = SpecMath.x25519Public(eBPriv);
        byte[] sh = SpecMath.sh(1, Protocol.SUITE, eB, nB);
        byte[] thHello = SpecMath.sha256(ch, sh);
        byte[] hs = SpecMath.extract(thHello, SpecMath.x25519(eBPriv, eA));
        byte[] sHs = SpecMath.expandLabel(hs, "s hs", thHello, 32);
        byte[] backendPub = signer.publicKey().encoded();
        byte[] sigB = signer.sign(SpecMath.signInput(context, SpecMath.sha256(ch, sh, backendPub, agentPub)));
        byte[] pt = SpecMath.bytes().raw(SpecMath.keyId(backendPub)).raw(sigB).bytes();
        byte[] c = SpecMath.seal(SpecMath.key(sHs), SpecMath.iv(sHs), thHello, pt);
        return "{\"type\":\"server_hello\",\"version\":1,\"suite\":\"" + Protocol.SUITE + "\",\"backend_key\":\""
                + b64(eB) + "\",\"nonce\":\"" + b64(nB) + "\",\"sealed\":\"" + b64(c) + "\"}";
    }

    /** CH of an M1 frame, recomputed from its JSON fields. */
    public static byte[] chOf(String m1) {
        var n = Frames.parse(m1);
        return SpecMath.ch(n.get("version").asInt(), n.get("suite").asText(), n.get("agent_id").asText(),
                StrictBase64.decode(n.get("public_key").asText()),
                io.aegis.protocol.crypto.Hex.decode(n.get("backend_key_id").asText()),
                StrictBase64.decode(n.get("ephemeral_key").asText()), StrictBase64.decode(n.get("nonce").asText()),
                n.get("timestamp").asLong());
    }

    /** eA of an M1 frame. */
    public static byte[] eAOf(String m1) {
        return StrictBase64.decode(Frames.text(m1, "ephemeral_key"));
    }

    public static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }
}
