package dev.chimney.link.tap;

/**
 * The kernel's own counters for a TAP interface (the line of {@code /proc/net/dev} in the device's namespace, the
 * same numbers as {@code ip -s link} and {@code /sys/class/net/NAME/statistics}). Directions are the kernel's: its
 * "tx" is what it sent towards the stack, its "rx" what the stack wrote into it.
 *
 * @param rxPackets frames the stack wrote that the kernel took in
 * @param rxBytes   their bytes
 * @param rxErrors  frames from the stack the kernel found malformed
 * @param rxDropped frames from the stack the kernel dropped (e.g. its input backlog full)
 * @param txPackets frames the kernel handed to the stack (tun counts a frame when the stack reads it)
 * @param txBytes   their bytes
 * @param txErrors  transmit errors
 * @param txDropped frames the kernel dropped because the stack's queue ({@code txqueuelen}) was full: the stack did
 *                  not read the TAP fast enough
 */
public record KernelCounters(long rxPackets, long rxBytes, long rxErrors, long rxDropped, long txPackets,
                             long txBytes, long txErrors, long txDropped) {

    /** Zero counters (a device that could not be read). */
    public static final KernelCounters NONE = new KernelCounters(0, 0, 0, 0, 0, 0, 0, 0);

    /** The counters accumulated since {@code earlier} (for one benchmark phase). */
    public KernelCounters minus(KernelCounters earlier) {
        return new KernelCounters(rxPackets - earlier.rxPackets, rxBytes - earlier.rxBytes,
                rxErrors - earlier.rxErrors, rxDropped - earlier.rxDropped, txPackets - earlier.txPackets,
                txBytes - earlier.txBytes, txErrors - earlier.txErrors, txDropped - earlier.txDropped);
    }

    /**
     * Parses the line for {@code device} from {@code /proc/net/dev} text (two header lines, then {@code name:
     * rx_bytes rx_packets rx_errs rx_drop rx_fifo rx_frame rx_compressed rx_multicast tx_bytes tx_packets tx_errs
     * tx_drop ...}).
     *
     * @throws IllegalArgumentException if the device has no line or the line is short
     */
    static KernelCounters parseProcNetDev(String text, String device) {
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0 || !line.substring(0, colon).trim().equals(device)) {
                continue;
            }
            String[] f = line.substring(colon + 1).trim().split("\\s+");
            if (f.length < 12) {
                throw new IllegalArgumentException("short /proc/net/dev line for " + device + ": " + line);
            }
            return new KernelCounters(Long.parseLong(f[1]), Long.parseLong(f[0]), Long.parseLong(f[2]),
                    Long.parseLong(f[3]), Long.parseLong(f[9]), Long.parseLong(f[8]), Long.parseLong(f[10]),
                    Long.parseLong(f[11]));
        }
        throw new IllegalArgumentException("device " + device + " is not in /proc/net/dev of its namespace");
    }

    @Override
    public String toString() {
        return "kernel tx " + txPackets + " frames to the stack (" + txDropped + " dropped, queue full), rx "
                + rxPackets + " frames from the stack (" + rxDropped + " dropped, " + rxErrors + " errors)";
    }
}
