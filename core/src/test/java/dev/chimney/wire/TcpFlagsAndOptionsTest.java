package dev.chimney.wire;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** The TCP flag bitset helpers and the options holder's misuse messages. */
class TcpFlagsAndOptionsTest {

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
