package dev.chimney.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.runtime.SeededRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Token bucket used for RFC 5961 §7 challenge-ACK throttling and ICMP rate limits. */
class RateLimiterTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void grantsTheBurstThenRefillsAtTheRate() {
        final RateLimiter limiter = new RateLimiter(10, SECOND, 3, 0);
        assertTrue(limiter.tryAcquire(0));
        assertTrue(limiter.tryAcquire(0));
        assertTrue(limiter.tryAcquire(0));
        assertFalse(limiter.tryAcquire(0), "burst of 3 exhausted");
        assertEquals(100_000_000L, limiter.nanosUntilPermit(0), "10 per second: one every 100 ms");
        assertFalse(limiter.tryAcquire(99_999_999L));
        assertTrue(limiter.tryAcquire(100_000_000L));
        assertEquals(4, limiter.granted());
        assertEquals(2, limiter.denied());
    }

    @Test
    void idlingRefillsOnlyUpToTheBurstAndLongGapsDoNotOverflow() {
        final RateLimiter limiter = new RateLimiter(1000, SECOND, 5, 0);
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.tryAcquire(0));
        }
        assertEquals(5, limiter.available(Long.MAX_VALUE / 2), "a very long idle period fills the bucket, no more");
    }

    @Test
    void aClockSteppingBackwardsAddsNoCredit() {
        final RateLimiter limiter = new RateLimiter(1, SECOND, 1, 10 * SECOND);
        assertTrue(limiter.tryAcquire(10 * SECOND));
        assertFalse(limiter.tryAcquire(5 * SECOND));
        assertFalse(limiter.tryAcquire(10 * SECOND + SECOND / 2));
        assertTrue(limiter.tryAcquire(11 * SECOND));
    }

    @Test
    void multiPermitRequestsAreAllOrNothing() {
        final RateLimiter limiter = new RateLimiter(4, SECOND, 4, 0);
        assertFalse(limiter.tryAcquire(5, 0));
        assertEquals(4, limiter.available(0));
        assertTrue(limiter.tryAcquire(3, 0));
        assertFalse(limiter.tryAcquire(2, 0));
        assertFalse(limiter.tryAcquire(Integer.MAX_VALUE, 0), "a huge request must not overflow into a grant");
        assertThrows(IllegalArgumentException.class, () -> limiter.tryAcquire(0, 0));
    }

    @Test
    void rejectsNonsenseConfiguration() {
        assertThrows(IllegalArgumentException.class, () -> new RateLimiter(0, SECOND, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new RateLimiter(1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new RateLimiter(1, SECOND, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new RateLimiter(1, SECOND, Long.MAX_VALUE, 0));
    }

    @Property(tries = 200)
    void neverGrantsMoreThanBurstPlusRateTimesElapsed(@ForAll final long seed,
            @ForAll @IntRange(min = 1, max = 2000) final int perSecond,
            @ForAll @IntRange(min = 1, max = 50) final int burst) {
        final SeededRandom random = new SeededRandom(seed);
        final RateLimiter limiter = new RateLimiter(perSecond, SECOND, burst, 0);
        long nowNs = 0;
        long grants = 0;
        for (int i = 0; i < 2000; i++) {
            nowNs += random.nextLong(SECOND / 100);
            if (limiter.tryAcquire(nowNs)) {
                grants++;
            }
        }
        final long bound = burst + (long) perSecond * nowNs / SECOND;
        assertTrue(grants <= bound, "seed " + seed + ": " + grants + " grants exceed " + bound);
        assertEquals(grants, limiter.granted(), "seed " + seed);
    }
}
