package dev.chimney.chimney.conformance;

import dev.chimney.chimney.target.FaultInjectingTarget;
import dev.chimney.chimney.target.SoftOffloadTarget;
import dev.chimney.chimney.team.TeamTarget;
import dev.chimney.link.VirtualWire;

/**
 * The conformance suite against {@link TeamTarget} bonding two soft targets: member 0 owns the suite's link, member 1
 * a spare wire; no failover happens here, so every request, completion and indication crosses the team as an
 * intermediate driver (spec §2.15: its own handles down, the host's substituted on the way up, R-IM-1/2/3) and the
 * team must pass everything the soft target passes, the fault-injection tests included (member 0 sits behind a
 * {@link FaultInjectingTarget}).
 */
class TeamTargetConformanceTest extends AllSections {

    @Override
    protected TargetFactory factory() {
        return s -> {
            SoftOffloadTarget first = SoftOffloadTargetConformanceTest.build(s);
            // member 0 behind a fault injector (faults off unless a test turns them on), so the fault tests run
            // through the team too: the failures a member reports must reach the host as the spec says (R-IM-3/4)
            FaultInjectingTarget faulty = new FaultInjectingTarget(first, s.sim().random().fork("faults"));
            VirtualWire spare = VirtualWire.builder("spare", s.sim()).build();
            SoftOffloadTarget second = SoftOffloadTarget.builder(s.targetLoop(), spare.a()).name("soft-2")
                    .hostLoop(s.hostLoop()).mac(s.mac()).capabilities(s.capabilities())
                    .random(s.sim().random().fork("target-2")).build();
            TeamTarget team = TeamTarget.builder(s.hostLoop(), s.mac()).name("team")
                    .member(new TeamTarget.Member(faulty, first.hostPort(), first::linkStatus, first::indicate))
                    .member(second).build();
            return new TargetFactory.TargetUnderTest(team, team.hostPort(), first::indicate,
                    (ctx, reason) -> first.requestUpload(team.memberContext(ctx), reason), faulty);
        };
    }
}
