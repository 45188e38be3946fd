package dev.chimney.tcp;

/**
 * A token bucket driven by the caller's clock: at most {@code permitsPerPeriod} grants per {@code periodNs} on
 * average, with bursts of up to {@code burstPermits}. Used to throttle challenge ACKs (RFC 5961 §7, "the limit
 * SHOULD be applied to all challenge ACKs") and ICMP error generation (RFC 1812 §4.3.2.8, RFC 4443 §2.4 (f)).
 *
 * <p>Exact integer arithmetic: the bucket holds credit in units of {@code 1/permitsPerPeriod} nanoseconds, so
 * a permit costs {@code periodNs} credit units and every elapsed nanosecond adds {@code permitsPerPeriod} units.
 * No rounding drift, no floating point, no allocation. Time comes only from the {@code nowNs} arguments, so it is
 * deterministic under a {@code VirtualClock}; a clock that steps backwards adds no credit. Single-owner (one event
 * loop), not thread-safe.
 */
public final class RateLimiter {

    private final long permitsPerPeriod;
    private final long periodNs;
    private final long capacityUnits;
    /** Elapsed time after which the bucket is full whatever it held: avoids overflow on long idle gaps. */
    private final long fillTimeNs;

    private long credit;
    private long lastRefillNs;
    private long granted;
    private long denied;

    /**
     * Creates a full bucket.
     *
     * @param permitsPerPeriod sustained grants per period, at least 1
     * @param periodNs the period in nanoseconds, at least 1 (e.g. 1_000_000_000 for "per second")
     * @param burstPermits the bucket size: grants available at once after idling, at least 1
     * @param nowNs the current time
     */
    public RateLimiter(final long permitsPerPeriod, final long periodNs, final long burstPermits, final long nowNs) {
        if (permitsPerPeriod < 1 || periodNs < 1 || burstPermits < 1) {
            throw new IllegalArgumentException("a rate limiter needs permitsPerPeriod >= 1, periodNs >= 1 and "
                    + "burstPermits >= 1; got " + permitsPerPeriod + ", " + periodNs + ", " + burstPermits);
        }
        if (burstPermits > Long.MAX_VALUE / 2 / periodNs) {
            throw new IllegalArgumentException("burstPermits * periodNs must stay below 2^62; use a shorter period "
                    + "or a smaller burst (got burst " + burstPermits + ", period " + periodNs + " ns)");
        }
        this.permitsPerPeriod = permitsPerPeriod;
        this.periodNs = periodNs;
        this.capacityUnits = burstPermits * periodNs;
        this.fillTimeNs = capacityUnits / permitsPerPeriod + 1;
        this.credit = capacityUnits;
        this.lastRefillNs = nowNs;
    }

    /** A limiter allowing {@code permitsPerSecond} per second with a burst of the same size. */
    public static RateLimiter perSecond(final long permitsPerSecond, final long nowNs) {
        return new RateLimiter(permitsPerSecond, 1_000_000_000L, permitsPerSecond, nowNs);
    }

    /** Takes one permit if available. */
    public boolean tryAcquire(final long nowNs) {
        return tryAcquire(1, nowNs);
    }

    /**
     * Takes {@code permits} permits at once if all are available (none are taken otherwise).
     *
     * @param permits at least 1
     */
    public boolean tryAcquire(final int permits, final long nowNs) {
        if (permits < 1) {
            throw new IllegalArgumentException("ask for at least one permit, got " + permits);
        }
        refill(nowNs);
        // Compare in whole permits so permits * periodNs cannot overflow.
        if (permits <= credit / periodNs) {
            credit -= permits * periodNs;
            granted++;
            return true;
        }
        denied++;
        return false;
    }

    /** Whole permits available now (after refilling to {@code nowNs}). */
    public long available(final long nowNs) {
        refill(nowNs);
        return credit / periodNs;
    }

    /** Nanoseconds from {@code nowNs} until one permit is available (0 if one is available now). */
    public long nanosUntilPermit(final long nowNs) {
        refill(nowNs);
        if (credit >= periodNs) {
            return 0;
        }
        final long missing = periodNs - credit;
        return (missing + permitsPerPeriod - 1) / permitsPerPeriod;
    }

    /** Grants so far (a counter for the stack's statistics). */
    public long granted() {
        return granted;
    }

    /** Refusals so far (e.g. challenge ACKs suppressed, RFC 5961 §7). */
    public long denied() {
        return denied;
    }

    private void refill(final long nowNs) {
        final long elapsedNs = nowNs - lastRefillNs;
        if (elapsedNs <= 0) {
            // Same instant, or a clock that stepped back: no credit, and keep the later timestamp.
            return;
        }
        lastRefillNs = nowNs;
        if (elapsedNs >= fillTimeNs) {
            credit = capacityUnits;
        } else {
            credit = Math.min(capacityUnits, credit + elapsedNs * permitsPerPeriod);
        }
    }
}
