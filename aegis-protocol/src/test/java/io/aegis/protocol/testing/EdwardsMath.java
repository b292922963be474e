package io.aegis.protocol.testing;

import java.math.BigInteger;

/**
 * Slow, obviously-written edwards25519 arithmetic on BigInteger (RFC 8032 §5.1), used only to
 * check test data independently of BouncyCastle: decoding, encoding, addition, scalar
 * multiplication.
 */
public final class EdwardsMath {

    public static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
    public static final BigInteger L = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));
    private static final BigInteger D = BigInteger.valueOf(-121665).multiply(BigInteger.valueOf(121666).modInverse(P)).mod(P);
    private static final BigInteger SQRT_M1 = BigInteger.TWO.modPow(P.subtract(BigInteger.ONE).shiftRight(2), P);

    /** An affine point. */
    public record Point(BigInteger x, BigInteger y) {
        public boolean isIdentity() {
            return x.signum() == 0 && y.equals(BigInteger.ONE);
        }
    }

    public static final Point IDENTITY = new Point(BigInteger.ZERO, BigInteger.ONE);

    private EdwardsMath() {
    }

    /** Little-endian 32 bytes to an integer. */
    public static BigInteger le(byte[] b) {
        byte[] be = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            be[i] = b[b.length - 1 - i];
        }
        return new BigInteger(1, be);
    }

    /** Integer to little-endian 32 bytes. */
    public static byte[] le(BigInteger v) {
        byte[] out = new byte[32];
        for (int i = 0; i < 32; i++) {
            out[i] = v.shiftRight(8 * i).byteValue();
        }
        return out;
    }

    /** RFC 8032 decoding with no canonicality check on y (reduces mod p); null if not on the curve. */
    public static Point decodeLenient(byte[] enc) {
        BigInteger raw = le(enc);
        boolean x0 = raw.testBit(255);
        BigInteger y = raw.clearBit(255).mod(P);
        BigInteger u = y.multiply(y).subtract(BigInteger.ONE).mod(P);
        BigInteger v = D.multiply(y).multiply(y).add(BigInteger.ONE).mod(P);
        BigInteger x2 = u.multiply(v.modInverse(P)).mod(P);
        BigInteger x = x2.modPow(P.add(BigInteger.valueOf(3)).shiftRight(3), P);
        if (!x.multiply(x).subtract(x2).mod(P).equals(BigInteger.ZERO)) {
            x = x.multiply(SQRT_M1).mod(P);
        }
        if (!x.multiply(x).subtract(x2).mod(P).equals(BigInteger.ZERO)) {
            return null;
        }
        if (x.testBit(0) != x0) {
            x = P.subtract(x).mod(P);
        }
        return new Point(x, y);
    }

    public static byte[] encode(Point p) {
        BigInteger v = p.y();
        if (p.x().testBit(0)) {
            v = v.setBit(255);
        }
        return le(v);
    }

    public static Point add(Point a, Point b) {
        BigInteger x1x2 = a.x().multiply(b.x());
        BigInteger y1y2 = a.y().multiply(b.y());
        BigInteger dxy = D.multiply(x1x2).multiply(y1y2).mod(P);
        BigInteger x3 = a.x().multiply(b.y()).add(b.x().multiply(a.y()))
                .multiply(BigInteger.ONE.add(dxy).modInverse(P)).mod(P);
        BigInteger y3 = y1y2.add(x1x2).multiply(BigInteger.ONE.subtract(dxy).mod(P).modInverse(P)).mod(P);
        return new Point(x3, y3);
    }

    public static Point multiply(BigInteger k, Point p) {
        Point r = IDENTITY;
        Point q = p;
        for (int i = 0; i < k.bitLength(); i++) {
            if (k.testBit(i)) {
                r = add(r, q);
            }
            q = add(q, q);
        }
        return r;
    }

    public static boolean onCurve(Point p) {
        BigInteger x2 = p.x().multiply(p.x());
        BigInteger y2 = p.y().multiply(p.y());
        return y2.subtract(x2).subtract(BigInteger.ONE).subtract(D.multiply(x2).multiply(y2)).mod(P).signum() == 0;
    }
}
