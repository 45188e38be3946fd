package dev.chimney.tcp;

/** TCP control bits as they sit in the header's flags byte (RFC 9293 §3.1, RFC 3168 §6.1 for ECE/CWR). */
public final class TcpFlags {
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    private TcpFlags() {
    }

    /** "SYN|ACK"-style text for logs and assertion messages. */
    public static String toString(int flags) {
        StringBuilder b = new StringBuilder();
        String[] names = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
        for (int i = 0; i < names.length; i++) {
            if ((flags & (1 << i)) != 0) {
                if (!b.isEmpty()) {
                    b.append('|');
                }
                b.append(names[i]);
            }
        }
        return b.isEmpty() ? "-" : b.toString();
    }
}
