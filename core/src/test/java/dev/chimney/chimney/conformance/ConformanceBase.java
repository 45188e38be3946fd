package dev.chimney.chimney.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chimney.chimney.target.FaultInjectingTarget;

/**
 * The root of the conformance suite (spec §8): tests keyed by checklist ids, written only against {@code
 * OffloadTarget} / {@code OffloadHost} and the {@link TargetFactory}. Each section of the checklist adds its tests in
 * a subclass; the concrete classes at the end of the chain ({@code SoftOffloadTargetConformanceTest}, {@code
 * FaultInjectingTargetConformanceTest}) say which target runs them. A test that needs fault injection asks {@link
 * #faults} and is skipped (not counted as passing) for a target without it.
 */
abstract class ConformanceBase {
    static final long MS = ChimneyWorld.MS;
    static final long S = ChimneyWorld.S;

    /** How to build the target under test. */
    protected abstract TargetFactory factory();

    ChimneyWorld world() {
        return ChimneyWorld.create(factory(), ChimneyWorld.options());
    }

    ChimneyWorld world(ChimneyWorld.Options o) {
        return ChimneyWorld.create(factory(), o);
    }

    /** The fault injector of this world's target; skips the test when the target has none. */
    static FaultInjectingTarget faults(ChimneyWorld w) {
        org.junit.jupiter.api.Assumptions.assumeTrue(w.tut.faults() != null, "needs a fault-injecting target");
        return w.tut.faults();
    }

    /** The peer received exactly what the host application sent, and the host what the peer sent. */
    static void assertStreams(ChimneyWorld w, ChimneyWorld.Conn c, byte[] peerSent, byte[] hostGot) {
        assertArrayEquals(c.hostSent.toByteArray(), c.peerEnd.received.toByteArray(), "bytes at the peer");
        assertArrayEquals(peerSent, hostGot, "bytes at the host application");
        assertEquals(peerSent.length, hostGot.length);
    }
}
