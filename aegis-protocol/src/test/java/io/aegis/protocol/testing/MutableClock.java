package io.aegis.protocol.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock tests move by hand. */
public final class MutableClock extends Clock {

    private volatile long millis;

    /** A clock reading {@code millis} ms since the epoch. */
    public MutableClock(long millis) {
        this.millis = millis;
    }

    /** Moves the clock forward. */
    public void advance(Duration d) {
        millis += d.toMillis();
    }

    /** Sets the reading. */
    public void set(long millis) {
        this.millis = millis;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public long millis() {
        return millis;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis);
    }
}
