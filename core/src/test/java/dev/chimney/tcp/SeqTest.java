package dev.chimney.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** RFC 9293 §3.4 / RFC 1982 serial-number comparisons, including across the 2^32 wrap. */
class SeqTest {

    @Test
    void comparesAcrossTheWrap() {
        final int beforeWrap = 0xFFFF_FFF0;
        final int afterWrap = 0x0000_0010;
        assertTrue(Seq.lt(beforeWrap, afterWrap), "0xFFFFFFF0 precedes 0x10 once the space wraps");
        assertTrue(Seq.gt(afterWrap, beforeWrap));
        assertTrue(Seq.leq(beforeWrap, beforeWrap));
        assertTrue(Seq.geq(afterWrap, afterWrap));
        assertFalse(Seq.lt(afterWrap, beforeWrap));
        assertEquals(0x20, Seq.diff(afterWrap, beforeWrap));
        assertEquals(afterWrap, Seq.max(beforeWrap, afterWrap));
        assertEquals(beforeWrap, Seq.min(afterWrap, beforeWrap));
    }

    @Test
    void windowTestsAreHalfOpenAndWrapSafe() {
        // RFC 9293 §3.10.7.4: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
        final int rcvNxt = 0xFFFF_FF00;
        assertTrue(Seq.inWindow(rcvNxt, rcvNxt, 512));
        assertTrue(Seq.inWindow(rcvNxt + 511, rcvNxt, 512));
        assertFalse(Seq.inWindow(rcvNxt + 512, rcvNxt, 512));
        assertFalse(Seq.inWindow(rcvNxt - 1, rcvNxt, 512));
        assertFalse(Seq.inWindow(rcvNxt, rcvNxt, 0), "a zero window accepts nothing");
        assertTrue(Seq.inRange(5, 0xFFFF_FFFE, 6));
        assertFalse(Seq.inRange(6, 0xFFFF_FFFE, 6));
        assertTrue(Seq.between(0xFFFF_FFFE, 6, 6));
        assertEquals("4294967295", Seq.toString(-1));
    }

    @Property
    void orderIsConsistentWithSignedDistance(@ForAll final int base, @ForAll @IntRange(min = 1) final int delta) {
        final int later = base + delta;
        assertTrue(Seq.lt(base, later) && Seq.gt(later, base) && !Seq.geq(base, later));
        assertEquals(delta, Seq.diff(later, base));
        assertTrue(Seq.inWindow(later - 1, base, delta));
        assertFalse(Seq.inWindow(later, base, delta));
    }
}
