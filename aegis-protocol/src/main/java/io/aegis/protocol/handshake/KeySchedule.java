package io.aegis.protocol.handshake;

import io.aegis.protocol.crypto.Hkdf;
import io.aegis.protocol.crypto.Secrets;
import io.aegis.protocol.crypto.Sha256;

/**
 * The handshake key schedule, shared by both sides. Not thread-safe (one per handshake).
 *
 * <pre>
 * th_hello = H(CH ‖ SH)
 * hs       = HKDF-Extract(salt = th_hello, IKM = ss)
 * c_hs     = Expand-Label(hs, "c hs", th_hello, 32)     s_hs = Expand-Label(hs, "s hs", th_hello, 32)
 * th_m2    = H(CH ‖ SH ‖ c)
 * th_final = H(CH ‖ SH ‖ c ‖ c3)
 * c_ap     = Expand-Label(hs, "c ap", th_final, 32)     s_ap = Expand-Label(hs, "s ap", th_final, 32)
 * session_id = Expand-Label(hs, "session", th_final, 16)
 * </pre>
 */
final class KeySchedule {

    final byte[] ch;
    final byte[] sh;
    final byte[] thHello;
    private byte[] hs;
    byte[] cHs;
    byte[] sHs;

    /** Derives the handshake secrets and erases {@code ss}. */
    KeySchedule(byte[] ch, byte[] sh, byte[] ss) {
        this.ch = ch;
        this.sh = sh;
        this.thHello = Sha256.hash(ch, sh);
        this.hs = Hkdf.extract(thHello, ss);
        Secrets.erase(ss);
        this.cHs = Hkdf.expandLabel(hs, "c hs", thHello, 32);
        this.sHs = Hkdf.expandLabel(hs, "s hs", thHello, 32);
    }

    /** H(CH ‖ SH ‖ extra…). */
    byte[] transcript(byte[]... extra) {
        var d = Sha256.newDigest();
        d.update(ch);
        d.update(sh);
        for (byte[] e : extra) {
            d.update(e);
        }
        return d.digest();
    }

    /** Application secrets and session id from th_final; erases every handshake secret. */
    Traffic finish(byte[] thFinal) {
        Traffic t = new Traffic(
                Hkdf.expandLabel(hs, "c ap", thFinal, 32),
                Hkdf.expandLabel(hs, "s ap", thFinal, 32),
                Hkdf.expandLabel(hs, "session", thFinal, 16));
        erase();
        return t;
    }

    /** Erases hs and the handshake traffic secrets. */
    void erase() {
        Secrets.erase(hs, cHs, sHs);
    }

    record Traffic(byte[] clientSecret, byte[] serverSecret, byte[] sessionId) {
        void erase() {
            Secrets.erase(clientSecret, serverSecret);
        }
    }
}
