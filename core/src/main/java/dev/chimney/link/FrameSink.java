package dev.chimney.link;

import java.lang.foreign.MemorySegment;

/**
 * Receives frames from a {@link NetworkPort}. The segment is only valid during the call (it may be a reused
 * receive buffer): copy what must outlive it.
 */
@FunctionalInterface
public interface FrameSink {
    /** One whole Ethernet frame (no preamble, no FCS); its length is {@code frame.byteSize()}. */
    void onFrame(MemorySegment frame);
}
