package dev.chimney.link;

import java.lang.foreign.MemorySegment;

/**
 * One end of a link that carries Ethernet frames: a TAP device, an end of a virtual wire, a switch port.
 * A port is owned by exactly one event loop, which calls {@link #receive} and {@link #transmit} from its
 * thread only (no locks on the data path).
 */
public interface NetworkPort extends AutoCloseable {

    /** Human-readable name, used in logs, pcap comments and counters. */
    String name();

    /** Largest L3 packet (Ethernet payload, without the 14/18-byte header) the link carries. */
    int mtu();

    /**
     * Sends one frame. The bytes are copied (or written to the device) before this returns, so the caller may
     * reuse the segment at once.
     *
     * @return false if the frame was dropped locally (queue full, larger than the MTU allows, port closed);
     *         the drop is counted
     */
    boolean transmit(MemorySegment frame);

    /**
     * Hands up to {@code budget} frames that have arrived (are due at the port's clock) to the sink.
     *
     * @return the number of frames delivered
     */
    int receive(FrameSink sink, int budget);

    /**
     * Time (same base as the loop's clock) at which {@link #receive} will next have a frame, for virtual links
     * that schedule deliveries; {@link Long#MAX_VALUE} when nothing is scheduled or the port cannot tell (a real
     * device is polled or waited on instead).
     */
    default long nextArrivalNs() {
        return Long.MAX_VALUE;
    }

    /** Checksum state of a received frame: nothing known, the stack verifies every checksum. */
    int RX_CHECKSUM_UNKNOWN = 0;
    /** The transport checksum was verified by the port/device (virtio {@code DATA_VALID}). */
    int RX_CHECKSUM_VALID = 1;
    /**
     * The transport checksum is partial: the sender (a local kernel) left it to "hardware" that never ran, so the
     * field holds only the pseudo-header sum (virtio {@code NEEDS_CSUM}). The data never crossed a wire, so there is
     * nothing to verify.
     */
    int RX_CHECKSUM_PARTIAL = 2;

    /** The offloads this port provides; {@link LinkOffloads#NONE} unless the port says otherwise. */
    default LinkOffloads offloads() {
        return LinkOffloads.NONE;
    }

    /**
     * {@link #RX_CHECKSUM_UNKNOWN}, {@link #RX_CHECKSUM_VALID} or {@link #RX_CHECKSUM_PARTIAL} for the frame being
     * delivered; valid only during {@link FrameSink#onFrame}. Ports without receive offload always say UNKNOWN.
     */
    default int rxChecksumState() {
        return RX_CHECKSUM_UNKNOWN;
    }

    /**
     * For a received GSO super-frame (larger than the MTU, one TCP segment standing for several), the payload
     * bytes per segment the sender used (virtio {@code gso_size}, its MSS); 0 for an ordinary frame. Valid only
     * during {@link FrameSink#onFrame}.
     */
    default int rxSegmentBytes() {
        return 0;
    }

    /**
     * Sends one TCP super-frame for the port to cut into segments of {@code segmentPayloadBytes} and checksum
     * (TSO). The frame's TCP checksum field must hold the folded pseudo-header sum over the super-frame's TCP
     * length (not complemented), the IPv4 header checksum must be complete. A frame with no more data than
     * {@code segmentPayloadBytes} is only checksummed. Every port whose {@link #offloads()} report
     * {@link LinkOffloads#txChecksum()} implements this; super-frames only when they report TSO, up to
     * {@link LinkOffloads#tsoMaxBytes()}.
     *
     * @param tcpOffset           where the TCP header starts in the frame
     * @param headerBytes         Ethernet + IP + TCP header bytes (with options)
     * @param segmentPayloadBytes payload bytes per resulting segment (the MSS)
     * @return false if the frame was dropped locally (counted)
     */
    default boolean transmitSegmented(MemorySegment frame, boolean ipv6, int tcpOffset, int headerBytes,
            int segmentPayloadBytes) {
        throw new UnsupportedOperationException("port " + name() + " has no segmentation offload; check "
                + "offloads().tso() before calling transmitSegmented");
    }

    @Override
    void close();
}
