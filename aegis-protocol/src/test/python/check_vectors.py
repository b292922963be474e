#!/usr/bin/env python3
"""Independent check of the Aegis v1 test vectors.

Recomputes every value of src/test/resources/vectors/v1.json from its inputs with the Python
'cryptography' package (X25519, Ed25519, ChaCha20-Poly1305) and hashlib/hmac, following
docs/PROTOCOL.md only. It shares no code with the Java library, so agreement means the document,
the vectors and the Java implementation say the same thing.

    python3 src/test/python/check_vectors.py [path/to/v1.json]

Not run by the Maven build (it needs Python and 'cryptography'); exits non-zero on a mismatch.
"""
import base64
import hashlib
import hmac
import json
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

RAW = serialization.Encoding.Raw
RAWPUB = serialization.PublicFormat.Raw

def H(*parts):
    return hashlib.sha256(b"".join(parts)).digest()

def u8(v): return struct.pack(">B", v)
def u16(v): return struct.pack(">H", v)
def u32(v): return struct.pack(">I", v)
def u64(v): return struct.pack(">Q", v)
def vec8(b): return u8(len(b)) + b
def vec16(b): return u16(len(b)) + b
def s(x): return x.encode("utf-8")

def extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()

def expand(prk, info, length):
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]

def label_info(label, context, length):
    return u16(length) + vec8(b"aegis1 " + s(label)) + vec8(context)

def expand_label(secret, label, context, length):
    return expand(secret, label_info(label, context, length), length)

def key(sec): return expand_label(sec, "key", b"", 32)
def iv(sec): return expand_label(sec, "iv", b"", 12)
def upd(sec): return expand_label(sec, "upd", b"", 32)

def nonce(iv_, seq):
    pad = u32(0) + u64(seq)
    return bytes(a ^ b for a, b in zip(iv_, pad))

def sign_input(context, digest):
    return b"\x20" * 64 + s(context) + b"\x00" + digest

def key_id(pub): return H(pub)[:8]

def b64(b): return base64.b64encode(b).decode()

def ed_pub(sk): return sk.public_key().public_bytes(RAW, RAWPUB)

def aad(sid, direction, epoch, seq, id_, type_, channel, ts, headers):
    out = sid + u8(direction) + u32(epoch) + u64(seq) + vec16(s(id_)) + vec16(s(type_)) + vec16(s(channel)) \
        + u64(ts) + u16(len(headers))
    for k in sorted(headers, key=lambda k: s(k)):
        out += vec16(s(k)) + vec16(s(headers[k]))
    return out

def envelope(id_, type_, channel, sealed, ts, nonce_, headers):
    h = ",".join('"%s":"%s"' % (k, headers[k]) for k in sorted(headers, key=lambda k: s(k)))
    return ('{"id":"%s","type":"%s","channel":"%s","payload":"%s","timestamp":%d,"nonce":"%s","signature":"",'
            '"headers":{%s}}') % (id_, type_, channel, b64(sealed), ts, b64(nonce_), h)

def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/vectors/v1.json"
    v = json.load(open(path))
    inp = v["inputs"]
    got = {}
    bad = []

    def check(where, value):
        group, name = where
        expected = v[group][name] if isinstance(name, str) else v[group][name[0]][name[1]]
        if isinstance(value, bytes):
            value = value.hex()
        if str(value) != str(expected):
            bad.append("%s/%s: computed %s, file %s" % (group, name, value, expected))

    suite = "AEGIS1-X25519-ED25519-CHACHA20POLY1305-SHA256"
    agent_id = inp["agent_id"]
    agent = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(inp["agent_identity_seed"]))
    backend = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(inp["backend_identity_seed"]))
    agent_pub, backend_pub = ed_pub(agent), ed_pub(backend)
    ea = X25519PrivateKey.from_private_bytes(bytes.fromhex(inp["agent_ephemeral_private"]))
    eb = X25519PrivateKey.from_private_bytes(bytes.fromhex(inp["backend_ephemeral_private"]))
    eA, eB = ea.public_key().public_bytes(RAW, RAWPUB), eb.public_key().public_bytes(RAW, RAWPUB)
    nA, nB = bytes.fromhex(inp["client_nonce"]), bytes.fromhex(inp["server_nonce"])
    ts = inp["client_hello_timestamp"]
    clock = inp["clock"]

    check(("keys", "agent_public_key"), agent_pub)
    check(("keys", "backend_public_key"), backend_pub)
    check(("keys", "agent_key_id"), key_id(agent_pub))
    check(("keys", "backend_key_id"), key_id(backend_pub))
    check(("keys", "agent_ephemeral_public"), eA)
    check(("keys", "backend_ephemeral_public"), eB)

    kid = key_id(backend_pub)
    CH = b"aegis/1 client_hello" + u8(1) + vec16(s(suite)) + vec16(s(agent_id)) + agent_pub + kid + eA + nA + u64(ts)
    m1 = ('{"type":"client_hello","version":1,"suite":"%s","agent_id":"%s","public_key":"%s","backend_key_id":"%s",'
          '"ephemeral_key":"%s","nonce":"%s","timestamp":%d}') % (suite, agent_id, b64(agent_pub), kid.hex(), b64(eA),
                                                                b64(nA), ts)
    SH = b"aegis/1 server_hello" + u8(1) + vec16(s(suite)) + eB + nB
    ss = eb.exchange(X25519PublicKey.from_public_bytes(eA))
    assert ss == ea.exchange(X25519PublicKey.from_public_bytes(eB))
    th_hello = H(CH, SH)
    hs = extract(th_hello, ss)
    c_hs = expand_label(hs, "c hs", th_hello, 32)
    s_hs = expand_label(hs, "s hs", th_hello, 32)
    sigB_digest = H(CH, SH, backend_pub, agent_pub)
    sigB = backend.sign(sign_input("Aegis 1, server handshake", sigB_digest))
    c = ChaCha20Poly1305(key(s_hs)).encrypt(nonce(iv(s_hs), 0), kid + sigB, th_hello)
    m2 = '{"type":"server_hello","version":1,"suite":"%s","backend_key":"%s","nonce":"%s","sealed":"%s"}' % (
        suite, b64(eB), b64(nB), b64(c))
    th_m2 = H(CH, SH, c)
    sigA_digest = H(CH, SH, c, backend_pub, agent_pub)
    sigA = agent.sign(sign_input("Aegis 1, client handshake", sigA_digest))
    c3 = ChaCha20Poly1305(key(c_hs)).encrypt(iv(c_hs), sigA, th_m2)
    m3 = '{"type":"client_auth","sealed":"%s"}' % b64(c3)
    th_final = H(CH, SH, c, c3)
    c_ap = expand_label(hs, "c ap", th_final, 32)
    s_ap = expand_label(hs, "s ap", th_final, 32)
    sid = expand_label(hs, "session", th_final, 16)
    for name, val in [("client_hello_canonical", CH), ("client_hello_json", m1), ("server_hello_canonical", SH),
                      ("shared_secret", ss), ("th_hello", th_hello), ("handshake_secret", hs), ("c_hs", c_hs),
                      ("c_hs_key", key(c_hs)), ("c_hs_iv", iv(c_hs)), ("s_hs", s_hs), ("s_hs_key", key(s_hs)),
                      ("s_hs_iv", iv(s_hs)), ("server_signature_digest", sigB_digest),
                      ("server_signature_input", sign_input("Aegis 1, server handshake", sigB_digest)),
                      ("server_signature", sigB), ("server_hello_plaintext", kid + sigB),
                      ("server_hello_sealed", c), ("server_hello_json", m2), ("th_m2", th_m2),
                      ("client_signature_digest", sigA_digest), ("client_signature", sigA),
                      ("client_auth_sealed", c3), ("client_auth_json", m3), ("th_final", th_final), ("c_ap", c_ap),
                      ("c_ap_key", key(c_ap)), ("c_ap_iv", iv(c_ap)), ("s_ap", s_ap), ("s_ap_key", key(s_ap)),
                      ("s_ap_iv", iv(s_ap)), ("session_id", sid)]:
        check(("handshake", name), val)

    def record(name, secret, direction, epoch, seq, id_, type_, channel, t, headers, plaintext):
        n = nonce(iv(secret), seq)
        a = aad(sid, direction, epoch, seq, id_, type_, channel, t, headers)
        sealed = ChaCha20Poly1305(key(secret)).encrypt(n, plaintext, a)
        for f, val in [("nonce", n), ("aad", a), ("plaintext", plaintext), ("sealed", sealed),
                       ("json", envelope(id_, type_, channel, sealed, t, n, headers))]:
            check(("records", (name, f)), val)

    def signed(signer, context, id_, type_, channel, audience, expires, body):
        d = H(vec16(s(id_)) + vec16(s(type_)) + vec16(s(channel)) + vec16(s(audience)) + u64(expires) + H(body))
        sig = signer.sign(sign_input(context, d))
        return d, sig, u8(1) + key_id(ed_pub(signer)) + u64(expires) + vec16(s(audience)) + sig + body

    body = ('{"success":true,"backend_key":"%s","session_token":"%s","expires_at":%d,"session_id":"%s",'
            '"protocol_version":1}') % (b64(eB), inp["session_token"], inp["session_expires_at"], sid.hex())
    check(("records", ("s2c_0_session", "body")), body)
    record("s2c_0_session", s_ap, 0x53, 0, 0, "session", "session", "control", clock["session_record"], {},
           b"\x00" + s(body))
    record("c2s_0_event_with_headers", c_ap, 0x43, 0, 0, "evt-0001", "event", "events/alerts", clock["c2s_0"],
           {"trace-id": "4bf92f3577b34da6", "priority": "high"},
           b"\x00" + s(v["records"]["c2s_0_event_with_headers"]["body"]))
    exp = v["records"]["s2c_1_signed_command"]["expires_at"]
    d, sig, pt = signed(backend, "Aegis 1, command", "cmd-0001", "request", "commands", "agent:" + agent_id, exp,
                        s(v["records"]["s2c_1_signed_command"]["body"]))
    check(("records", ("s2c_1_signed_command", "signature_digest")), d)
    check(("records", ("s2c_1_signed_command", "signature")), sig)
    record("s2c_1_signed_command", s_ap, 0x53, 0, 1, "cmd-0001", "request", "commands", clock["s2c_1"], {}, pt)
    d, sig, pt = signed(agent, "Aegis 1, agent message", "rsp-0001", "response", "commands", "backend", 0,
                        s(v["records"]["c2s_1_signed_agent_message"]["body"]))
    check(("records", ("c2s_1_signed_agent_message", "signature")), sig)
    record("c2s_1_signed_agent_message", c_ap, 0x43, 0, 1, "rsp-0001", "response", "commands", clock["c2s_1"],
           {"in-reply-to": "cmd-0001"}, pt)
    record("c2s_2_key_update", c_ap, 0x43, 0, 2, "key_update:0", "key_update", "control", clock["c2s_2_key_update"],
           {}, b'\x00{"update_requested":false}')
    c_ap1 = upd(c_ap)
    check(("records", ("c2s_2_key_update", "next_secret")), c_ap1)
    check(("records", ("c2s_2_key_update", "next_key")), key(c_ap1))
    check(("records", ("c2s_2_key_update", "next_iv")), iv(c_ap1))
    record("c2s_epoch1_0_event", c_ap1, 0x43, 1, 0, "evt-0002", "event", "events", clock["c2s_epoch1_0"], {},
           b'\x00{"n":2}')

    bb = v["building_blocks"]
    prk = extract(bytes.fromhex(bb["hkdf_extract"]["salt"]), bytes.fromhex(bb["hkdf_extract"]["ikm"]))
    check(("building_blocks", ("hkdf_extract", "prk")), prk)
    ctx = bytes.fromhex(bb["expand_label"]["context"])
    check(("building_blocks", ("expand_label", "info")), label_info("c hs", ctx, 32))
    check(("building_blocks", ("expand_label", "output")), expand_label(prk, "c hs", ctx, 32))
    check(("building_blocks", ("traffic_keys", "key")), key(prk))
    check(("building_blocks", ("traffic_keys", "iv")), iv(prk))
    check(("building_blocks", ("traffic_keys", "upd")), upd(prk))
    check(("building_blocks", ("traffic_keys", "nonce_seq_258")), nonce(iv(prk), 258))
    check(("building_blocks", ("key_id", "key_id")), key_id(agent_pub))
    ha = bb["http_auth"]
    hin = sign_input("Aegis 1, http auth", H(vec16(s(ha["agent_id"])) + u64(ha["timestamp"]) + vec16(s(ha["nonce"]))))
    check(("building_blocks", ("http_auth", "signing_input")), hin)
    check(("building_blocks", ("http_auth", "signature")), agent.sign(hin))
    kr = bb["key_rotation"]
    new_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(kr["new_identity_seed"]))
    new_pub = ed_pub(new_key)
    check(("building_blocks", ("key_rotation", "new_public_key")), new_pub)
    check(("building_blocks", ("key_rotation", "old_public_key")), agent_pub)
    kd = H(vec16(s(kr["agent_id"])) + agent_pub + new_pub + u64(kr["timestamp"]))
    check(("building_blocks", ("key_rotation", "digest")), kd)
    kin = sign_input("Aegis 1, key rotation", kd)
    check(("building_blocks", ("key_rotation", "signing_input")), kin)
    check(("building_blocks", ("key_rotation", "signature_old")), agent.sign(kin))
    check(("building_blocks", ("key_rotation", "signature_new")), new_key.sign(kin))

    if bad:
        print("MISMATCH:\n  " + "\n  ".join(bad))
        sys.exit(1)
    print("all vectors reproduced independently (%s)" % path)

if __name__ == "__main__":
    main()
