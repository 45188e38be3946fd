package dev.chimney.wire;

import static org.junit.jupiter.api.Assertions.*;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Sequence arithmetic modulo 2^32 (RFC 9293 §3.4) and the TCP flag bitset helpers. */
class SeqAndFlagsTest {

    @Test
    void comparisonsWrapAround() {
        assertTrue(Seq.lt(0xFFFF_FFF0, 0x10), "0xFFFFFFF0 precedes 0x10 across the wrap");
        assertTrue(Seq.gt(0x10, 0xFFFF_FFF0));
        assertTrue(Seq.leq(5, 5) && Seq.geq(5, 5));
        assertTrue(Seq.inRange(0, 0xFFFF_FFFF, 2));
        assertFalse(Seq.inRange(2, 0xFFFF_FFFF, 2), "upper bound is exclusive");
        assertEquals(0x10, Seq.max(0xFFFF_FFF0, 0x10));
        assertEquals(0xFFFF_FFF0, Seq.min(0xFFFF_FFF0, 0x10));
        assertEquals(0x20, Seq.diff(0xFFFF_FFF0, 0x10));
    }

    @Property(tries = 300)
    void inRangeAgreesWithOffsetArithmetic(@ForAll final int base, @ForAll @IntRange(max = 1 << 20) final int len,
                                           @ForAll @IntRange(max = 1 << 21) final int off) {
        assertEquals(off < len, Seq.inRange(base + off, base, base + len), "base=" + base);
    }

    @Test
    void flagsPrintAndValidate() throws Exception {
        assertEquals("SYN|ACK", TcpFlags.toString(TcpFlags.SYN | TcpFlags.ACK));
        assertEquals("FIN|PSH|ACK|ECE|CWR|AE", TcpFlags.toString(0x1D9));
        assertEquals("none", TcpFlags.toString(0));
        TcpFlags.validate(TcpFlags.SYN | TcpFlags.ACK | TcpFlags.ECE | TcpFlags.CWR);
        TcpFlags.validate(TcpFlags.FIN | TcpFlags.ACK);
        assertEquals(WireFormatException.Reason.MALFORMED, assertThrows(WireFormatException.class,
                () -> TcpFlags.validate(TcpFlags.SYN | TcpFlags.RST)).reason());
        assertNotNull(TcpFlags.invalidReason(0x200));
    }

    @Test
    void optionsHolderRejectsMisuseWithActionableMessages() {
        final TcpOptions o = new TcpOptions();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> o.windowScale(15)).getMessage()
                .contains("0..14"));
        o.addSack(1, 2).addSack(3, 4).addSack(5, 6).addSack(7, 8);
        assertTrue(assertThrows(IllegalStateException.class, () -> o.addSack(9, 10)).getMessage()
                .contains("clear"));
        assertEquals(36, o.length(), "4 blocks alone: 4 + 32 bytes");
        assertEquals(0, o.clear().length());
    }
}
