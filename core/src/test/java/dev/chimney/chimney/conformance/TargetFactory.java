package dev.chimney.chimney.conformance;

import dev.chimney.chimney.OffloadCapabilities;
import dev.chimney.chimney.OffloadTarget;
import dev.chimney.chimney.StatusIndication;
import dev.chimney.chimney.UploadReason;
import dev.chimney.link.NetworkPort;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Simulator;
import dev.chimney.wire.MacAddress;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * How a concrete conformance test builds its target: the suite ({@link ConformanceBase} and its subclasses) knows
 * targets only through {@link OffloadTarget}, plus what any NIC-like target must offer — the port the host's IP
 * stack uses, and the target-side hooks a test needs to provoke (status indications, target-requested uploads).
 */
@FunctionalInterface
interface TargetFactory {

    /** Builds a target on {@code setup.targetLoop()} that owns {@code setup.link()}. */
    TargetUnderTest create(Setup setup);

    /**
     * What the world gives the target.
     *
     * @param maxObjects  context areas (neighbors + paths + connections) before RESOURCES; MAX_VALUE = unlimited
     * @param vlanIds     the interface's VLAN IDs (spec §6.12)
     * @param nicClockOffsetTicks where the NIC's tick clock starts (R-NRQ-5 wraps it)
     * @param indicationBuffers receive-indication buffers the target may have with the host at once
     * @param sendBacklog whether the test wants SendBacklogSize offered (a target without it reports 0xFFFFFFFF)
     */
    record Setup(Simulator sim, EventLoop hostLoop, EventLoop targetLoop, NetworkPort link, MacAddress mac,
            OffloadCapabilities capabilities, int maxObjects, int[] vlanIds, long nicClockOffsetTicks,
            int indicationBuffers, boolean sendBacklog) {
    }

    /**
     * A target ready to attach.
     *
     * @param hostPort      the port the host's IP stack uses instead of the link
     * @param indicate      raises a status indication at the target (spec §5.1)
     * @param requestUpload makes the target ask for a connection's upload (context, reason), spec §3.2.8
     * @param faults        the fault injector when the target has one (else null)
     */
    record TargetUnderTest(OffloadTarget target, NetworkPort hostPort, Consumer<StatusIndication> indicate,
            BiConsumer<Object, UploadReason> requestUpload, dev.chimney.chimney.target.FaultInjectingTarget faults) {
    }
}
