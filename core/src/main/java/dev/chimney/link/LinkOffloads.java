package dev.chimney.link;

/**
 * What a {@link NetworkPort} does for the stack beyond carrying whole frames: segmentation and checksum offload, as
 * a Linux TAP opened with {@code IFF_VNET_HDR} and {@code TUNSETOFFLOAD(CSUM|TSO4|TSO6)} provides (virtio 1.x
 * §5.1.6.2). A port without offloads ({@link #NONE}, the virtual network) carries only frames within its MTU with
 * every checksum filled in.
 *
 * @param tsoMaxBytes largest TCP super-frame (Ethernet header included) the port accepts through
 *                    {@link NetworkPort#transmitSegmented} and segments itself; 0 = no segmentation offload
 * @param txChecksum  the port computes a transport checksum left partial (pseudo-header sum in the field): it
 *                    implements {@link NetworkPort#transmitSegmented}
 * @param rxChecksum  received frames may be flagged checksum-valid or checksum-partial
 *                    ({@link NetworkPort#rxChecksumState()}) and may exceed the MTU when they are GSO super-frames
 */
public record LinkOffloads(int tsoMaxBytes, boolean txChecksum, boolean rxChecksum) {
    /** Whole frames only, every checksum computed by the stack. */
    public static final LinkOffloads NONE = new LinkOffloads(0, false, false);

    public LinkOffloads {
        if (tsoMaxBytes < 0 || tsoMaxBytes > 65_535 + 18) {
            throw new IllegalArgumentException("tsoMaxBytes must be 0 (no TSO) or at most 65553 (64 KiB IP packet"
                    + " plus an 18-byte tagged Ethernet header), got " + tsoMaxBytes);
        }
        if (tsoMaxBytes > 0 && !txChecksum) {
            throw new IllegalArgumentException("segmentation offload needs transmit checksum offload: each segment's"
                    + " checksum is computed by the port; set txChecksum=true or tsoMaxBytes=0");
        }
    }

    /** True when the port segments TCP super-frames. */
    public boolean tso() {
        return tsoMaxBytes > 0;
    }
}
