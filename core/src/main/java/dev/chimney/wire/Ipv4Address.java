package dev.chimney.wire;

/** An IPv4 address held as an int in network order (first octet in the high byte). */
public record Ipv4Address(int bits) implements IpAddress {
    public static final Ipv4Address ANY = new Ipv4Address(0);
    public static final Ipv4Address BROADCAST = new Ipv4Address(0xFFFFFFFF);

    public static Ipv4Address parse(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("expected an IPv4 address like 10.0.0.1, got '" + text + "'");
        }
        int v = 0;
        for (String p : parts) {
            int octet;
            try {
                octet = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad IPv4 octet '" + p + "' in '" + text + "'", e);
            }
            if (octet < 0 || octet > 255) {
                throw new IllegalArgumentException("IPv4 octet out of range in '" + text + "'");
            }
            v = (v << 8) | octet;
        }
        return new Ipv4Address(v);
    }

    public static Ipv4Address ofBytes(byte[] b, int off) {
        return new Ipv4Address(((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8)
                | (b[off + 3] & 0xFF));
    }

    @Override
    public int byteLength() {
        return 4;
    }

    @Override
    public byte[] toBytes() {
        return new byte[] {(byte) (bits >>> 24), (byte) (bits >>> 16), (byte) (bits >>> 8), (byte) bits};
    }

    @Override
    public boolean isMulticast() {
        return (bits >>> 28) == 0xE;
    }

    @Override
    public boolean isUnspecified() {
        return bits == 0;
    }

    public boolean isBroadcast() {
        return bits == 0xFFFFFFFF;
    }

    public boolean isLoopback() {
        return (bits >>> 24) == 127;
    }

    @Override
    public String toString() {
        return (bits >>> 24) + "." + ((bits >>> 16) & 0xFF) + "." + ((bits >>> 8) & 0xFF) + "." + (bits & 0xFF);
    }
}
