package dev.chimney.chimney.conformance;

import dev.chimney.chimney.target.SoftOffloadTarget;

/** The conformance suite against {@link SoftOffloadTarget}. */
class SoftOffloadTargetConformanceTest extends AllSections {

    static SoftOffloadTarget build(TargetFactory.Setup s) {
        return SoftOffloadTarget.builder(s.targetLoop(), s.link()).name("soft").hostLoop(s.hostLoop()).mac(s.mac())
                .capabilities(s.capabilities()).maxObjects(s.maxObjects()).vlanIds(s.vlanIds())
                .random(s.sim().random().fork("target")).nicClockOffsetTicks(s.nicClockOffsetTicks())
                .indicationBuffers(s.indicationBuffers(), 64 * 1024).sendBacklog(s.sendBacklog()).build();
    }

    @Override
    protected TargetFactory factory() {
        return s -> {
            SoftOffloadTarget t = build(s);
            return new TargetFactory.TargetUnderTest(t, t.hostPort(), t::indicate, t::requestUpload, null);
        };
    }
}
