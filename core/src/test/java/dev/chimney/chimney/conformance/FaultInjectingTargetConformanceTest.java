package dev.chimney.chimney.conformance;

import dev.chimney.chimney.target.FaultInjectingTarget;
import dev.chimney.chimney.target.SoftOffloadTarget;

/**
 * The conformance suite against {@link FaultInjectingTarget} wrapping a {@link SoftOffloadTarget}: with its faults
 * off it must pass everything the soft target passes; the tests that turn faults on run only here.
 */
class FaultInjectingTargetConformanceTest extends AllSections {

    @Override
    protected TargetFactory factory() {
        return s -> {
            SoftOffloadTarget soft = SoftOffloadTargetConformanceTest.build(s);
            FaultInjectingTarget t = new FaultInjectingTarget(soft, s.sim().random().fork("faults"));
            return new TargetFactory.TargetUnderTest(t, soft.hostPort(), soft::indicate, soft::requestUpload, t);
        };
    }
}
