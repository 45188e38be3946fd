package dev.chimney.chimney.target;

import dev.chimney.link.LoopBridge;
import dev.chimney.link.NetworkPort;
import dev.chimney.runtime.EventLoop;
import java.util.Objects;

/**
 * The link between the host's IP stack and the target, which is the host's NIC (spec §1.1): a {@link LoopBridge}
 * whose end {@code a} the host owns on its loop ({@link #hostEnd()}) and whose end {@code b} the target polls on its
 * own ({@link #targetEnd()}). Frames the host transmits arrive at the target end and go on to the wire with their
 * segmentation request intact; frames the target passes up (the non-offload path, spec §6.11.2) carry the link's
 * receive metadata (checksum state, GSO size). The host end offers the link's offloads, so the host uses TSO exactly
 * when the wire port does. Under the {@link dev.chimney.runtime.Simulator} both loops share one thread and the
 * bridge has no delay; under {@code chimney run} each loop has its own thread.
 */
final class HostLink {
    private final LoopBridge bridge;

    private HostLink(LoopBridge bridge) {
        this.bridge = bridge;
    }

    /** A link for the host on {@code hostLoop} in front of {@code link}, owned by the target on {@code targetLoop}. */
    static HostLink create(String name, EventLoop hostLoop, EventLoop targetLoop, NetworkPort link) {
        Objects.requireNonNull(hostLoop, "hostLoop (the loop of the host stack that uses hostPort())");
        LoopBridge bridge = LoopBridge.builder(name, hostLoop, targetLoop).mtu(link.mtu())
                .aOffloads(link.offloads()).build();
        return new HostLink(bridge);
    }

    NetworkPort hostEnd() {
        return bridge.a();
    }

    LoopBridge.Port targetEnd() {
        return bridge.b();
    }
}
