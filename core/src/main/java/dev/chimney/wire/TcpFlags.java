package dev.chimney.wire;

/**
 * TCP control bits as an {@code int} bitset (RFC 9293 §3.1; ECE/CWR from RFC 3168 §23.2; AE from RFC 9768, formerly
 * the RFC 3540 NS bit). Combinations are validated by {@link #validate(int)}: SYN+RST is impossible; SYN+ACK,
 * FIN+ACK, SYN+FIN (seen from scanners, harmless) and any ECN bits pass.
 */
public final class TcpFlags {
    public static final int FIN = 0x001;
    public static final int SYN = 0x002;
    public static final int RST = 0x004;
    public static final int PSH = 0x008;
    public static final int ACK = 0x010;
    public static final int URG = 0x020;
    public static final int ECE = 0x040;
    public static final int CWR = 0x080;
    /** Accurate ECN bit (RFC 9768), bit 7 of the 16-bit word; the historic NS bit. */
    public static final int AE = 0x100;
    /** Every bit a TCP header can carry in the flags field. */
    public static final int ALL = 0x1FF;

    private static final String[] NAMES = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"};

    private TcpFlags() {
    }

    public static boolean has(final int flags, final int flag) {
        return (flags & flag) == flag;
    }

    /** Null when the combination is acceptable, else the reason it is not. */
    public static String invalidReason(final int flags) {
        if ((flags & ~ALL) != 0) {
            return "TCP flags outside the 9 defined bits: 0x" + Integer.toHexString(flags);
        }
        if (has(flags, SYN | RST)) {
            return "TCP: SYN and RST together";
        }
        return null;
    }

    /** Throws MALFORMED for an impossible combination (SYN+RST). */
    public static void validate(final int flags) throws WireFormatException {
        final String why = invalidReason(flags);
        if (why != null) {
            throw new WireFormatException(WireFormatException.Reason.MALFORMED, why);
        }
    }

    /** Readable form like {@code SYN|ACK}, for logs and test messages. */
    public static String toString(final int flags) {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < NAMES.length; i++) {
            if ((flags & (1 << i)) != 0) {
                if (!sb.isEmpty()) {
                    sb.append('|');
                }
                sb.append(NAMES[i]);
            }
        }
        return sb.isEmpty() ? "none" : sb.toString();
    }
}
