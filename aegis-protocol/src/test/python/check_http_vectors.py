#!/usr/bin/env python3
"""Independent check of the Aegis v1 HTTP transport vectors (docs/PROTOCOL.md section 17).

Recomputes every value of src/test/resources/vectors/v1-http.json from its inputs with Python's
'cryptography' package, following docs/PROTOCOL.md only (helpers shared with check_vectors.py).

    python3 src/test/python/check_http_vectors.py [path/to/v1-http.json]

Not run by the Maven build; exits non-zero on a mismatch.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_vectors import (H, u8, u64, vec16, s, extract, expand_label, key, iv, nonce, sign_input, key_id, b64,
                           ed_pub, aad, envelope, Ed25519PrivateKey, X25519PrivateKey, X25519PublicKey,
                           ChaCha20Poly1305, RAW, RAWPUB)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/vectors/v1-http.json"
    v = json.load(open(path))
    inp = v["http_inputs"]
    bad = []

    def check(group, name, value, sub=None):
        expected = v[group][name] if sub is None else v[group][name][sub]
        if isinstance(value, bytes):
            value = value.hex()
        if str(value) != str(expected):
            bad.append("%s/%s%s: computed %s, file %s" % (group, name, "/" + sub if sub else "", value, expected))

    agent_id = inp["agent_id"]
    agent = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(inp["agent_identity_seed"]))
    backend = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(inp["backend_identity_seed"]))
    agent_pub, backend_pub = ed_pub(agent), ed_pub(backend)
    ea = X25519PrivateKey.from_private_bytes(bytes.fromhex(inp["agent_ephemeral_private"]))
    eb = X25519PrivateKey.from_private_bytes(bytes.fromhex(inp["backend_ephemeral_private"]))
    eA, eB = ea.public_key().public_bytes(RAW, RAWPUB), eb.public_key().public_bytes(RAW, RAWPUB)
    nB = bytes.fromhex(inp["server_nonce"])
    ts, auth_nonce = inp["auth_timestamp"], inp["auth_nonce"]

    req_digest = H(vec16(s(agent_id)) + u64(ts) + vec16(s(auth_nonce)) + eA)
    req_input = sign_input("Aegis 1, http session request", req_digest)
    req_sig = agent.sign(req_input)
    th_input = b"aegis/1 http session" + vec16(s(agent_id)) + u64(ts) + vec16(s(auth_nonce)) + req_sig + eA + eB + nB
    th = H(th_input)
    ss = eb.exchange(X25519PublicKey.from_public_bytes(eA))
    assert ss == ea.exchange(X25519PublicKey.from_public_bytes(eB))
    hs = extract(th, ss)
    c_ap, s_ap = expand_label(hs, "c ap", th, 32), expand_label(hs, "s ap", th, 32)
    sid = expand_label(hs, "session", th, 16)
    sig_digest = H(th + backend_pub + agent_pub)
    sig_input = sign_input("Aegis 1, http session", sig_digest)
    sig_b = backend.sign(sig_input)
    for name, val in [("agent_ephemeral_public", eA), ("request_signature_digest", req_digest),
                      ("request_signing_input", req_input), ("request_signature", req_sig),
                      ("backend_ephemeral_public", eB), ("transcript_input", th_input), ("th", th),
                      ("shared_secret", ss), ("handshake_secret", hs), ("c_ap", c_ap), ("s_ap", s_ap),
                      ("session_id", sid), ("server_signature_digest", sig_digest),
                      ("server_signature_input", sig_input), ("server_signature", sig_b),
                      ("request_fields", '"timestamp":%d,"nonce":"%s","signature":"%s","ephemeral_key":"%s"'
                       % (ts, auth_nonce, b64(req_sig), b64(eA))),
                      ("response_fields", '"backend_key":"%s","server_nonce":"%s","backend_key_id":"%s",'
                       '"backend_signature":"%s","session_id":"%s"'
                       % (b64(eB), b64(nB), key_id(backend_pub).hex(), b64(sig_b), sid.hex()))]:
        check("http_session", name, val)

    # The same request naming the backend key it asks for: its key id is appended to the signed digest.
    asked = key_id(backend_pub)
    n_digest = H(vec16(s(agent_id)) + u64(ts) + vec16(s(auth_nonce)) + eA + asked)
    n_input = sign_input("Aegis 1, http session request", n_digest)
    n_sig = agent.sign(n_input)
    n_th = H(b"aegis/1 http session" + vec16(s(agent_id)) + u64(ts) + vec16(s(auth_nonce)) + n_sig + eA + eB + nB)
    n_hs = extract(n_th, ss)
    for name, val in [("backend_key_id", asked), ("request_signature_digest", n_digest),
                      ("request_signing_input", n_input), ("request_signature", n_sig), ("th", n_th),
                      ("session_id", expand_label(n_hs, "session", n_th, 16)),
                      ("server_signature", backend.sign(sign_input("Aegis 1, http session",
                                                                   H(n_th + backend_pub + agent_pub)))),
                      ("request_fields", '"timestamp":%d,"nonce":"%s","signature":"%s","ephemeral_key":"%s",'
                       '"backend_key_id":"%s"' % (ts, auth_nonce, b64(n_sig), b64(eA), asked.hex()))]:
        check("http_session_with_backend_key_id", name, val)

    def record(name, secret, direction, seq, id_, type_, channel, t, headers, plaintext):
        n = nonce(iv(secret), seq)
        a = aad(sid, direction, 0, seq, id_, type_, channel, t, headers)
        sealed = ChaCha20Poly1305(key(secret)).encrypt(n, plaintext, a)
        js = envelope(id_, type_, channel, sealed, t, n, headers)
        for f, val in [("nonce", n), ("aad", a), ("plaintext", plaintext), ("sealed", sealed), ("json", js)]:
            check("http_records", name, val, f)
        return js

    def signed(id_, type_, channel, audience, expires, body):
        d = H(vec16(s(id_)) + vec16(s(type_)) + vec16(s(channel)) + vec16(s(audience)) + u64(expires) + H(body))
        sig = backend.sign(sign_input("Aegis 1, command", d))
        return u8(1) + key_id(backend_pub) + u64(expires) + vec16(s(audience)) + sig + body

    cn, sn = bytes.fromhex(inp["poll_client_nonce"]), bytes.fromhex(inp["poll_server_nonce"])
    k = expand_label(s_ap, "poll", cn + sn, 32)
    check("http_poll", "client_nonce_header", b64(cn))
    check("http_poll", "secret", k)
    check("http_poll", "key", key(k))
    check("http_poll", "iv", iv(k))
    r = v["http_records"]
    c0 = r["poll_s2c_0_signed_command"]
    j0 = record("poll_s2c_0_signed_command", k, 0x53, 0, "cmd-0002", "request", "commands", inp["clock"]["poll_s2c_0"],
                {}, signed("cmd-0002", "request", "commands", c0["audience"], c0["expires_at"], s(c0["body"])))
    c1 = r["poll_s2c_1_signed_broadcast"]
    j1 = record("poll_s2c_1_signed_broadcast", k, 0x53, 1, "bc-0001", "event", "announcements",
                inp["clock"]["poll_s2c_1"], {"priority": "low"},
                signed("bc-0001", "event", "announcements", "*", c1["expires_at"], s(c1["body"])))
    check("http_poll", "answer_json", '{"server_nonce":"%s","records":[%s,%s]}' % (b64(sn), j0, j1))

    pn = bytes.fromhex(inp["post_nonce"])
    kp = expand_label(c_ap, "post", pn, 32)
    check("http_post", "secret", kp)
    check("http_post", "key", key(kp))
    check("http_post", "iv", iv(kp))
    ja = record("post_c2s_0_ack", kp, 0x43, 0, "ack-0001", "ack", "control", inp["clock"]["post_c2s_0"], {},
                b"\x00" + s(r["post_c2s_0_ack"]["body"]))
    check("http_post", "body_json", '{"nonce":"%s","records":[%s]}' % (b64(pn), ja))

    if bad:
        print("MISMATCH:\n  " + "\n  ".join(bad))
        sys.exit(1)
    print("all HTTP vectors reproduced independently (%s)" % path)


if __name__ == "__main__":
    main()
