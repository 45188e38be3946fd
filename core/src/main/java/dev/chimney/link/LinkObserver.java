package dev.chimney.link;

import java.lang.foreign.MemorySegment;

/**
 * Watches the frames of a virtual link (a test tap). Called on the thread that drives the channel; the segment
 * is valid only during the call. All methods default to doing nothing.
 */
public interface LinkObserver {
    /** A frame was offered to {@code channel} by a transmit. */
    default void onSend(String channel, long nowNs, MemorySegment frame) {
    }

    /** A frame was dropped; for drops after the copy the frame shows what would have been delivered. */
    default void onDrop(String channel, long nowNs, MemorySegment frame, DropReason reason) {
    }

    /** A frame is being handed to the receiver of {@code channel}. */
    default void onDeliver(String channel, long nowNs, MemorySegment frame) {
    }
}
