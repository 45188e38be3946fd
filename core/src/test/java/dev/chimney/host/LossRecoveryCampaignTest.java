package dev.chimney.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.ip.InterfaceConfig;
import dev.chimney.link.DropReason;
import dev.chimney.link.Impairments;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.Simulator;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConfig;
import dev.chimney.tcp.TcpCounter;
import dev.chimney.tcp.TcpListener;
import dev.chimney.tcp.cc.CongestionControls;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 9's simulator acceptance: a seeded in-memory campaign of one bulk transfer between two host stacks on a
 * {@link VirtualWire} (1 Gbit/s each way, 0.5 ms one way with jitter) at 1, 3 and 5% random loss each way, with as
 * much reordering and a tenth as much duplication, run twice in one go: "before" (the recovery this engine had — RFC
 * 6675 SACK recovery, no PRR, no undo, no D-SACK, no tail loss probe) and "after" (the defaults: RACK-TLP, RFC 8985,
 * with PRR, D-SACK and undo). Every byte is checked. For each it reports goodput relative to the same algorithm's
 * loss-free run, and the RTOs per loss episode on the sending side (TcpCounter.RTO_EXPIRATIONS /
 * TcpCounter.LOSS_EPISODES: a fast recovery, an RTO outside recovery, or a loss a probe repaired).
 *
 * <p>The default run is short (one seed, 4 MiB); {@code -Pslow} runs the fuller table (ten seeds, 16 MiB, NewReno
 * and CUBIC). Replay one cell with its seed from the table.
 */
class LossRecoveryCampaignTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;
    private static final int PORT = 5002;
    private static final double[] LOSS_RATES = {0.01, 0.03, 0.05};

    /** The engine as it was, reachable through configuration. */
    static TcpConfig.Builder before(TcpConfig.Builder b) {
        return b.lossDetection(TcpConfig.LossDetection.RFC6675).prr(false).undo(false).dsack(false)
                .tailLossProbe(false).lostRetransmitDetection(false);
    }

    /** The defaults. */
    static TcpConfig.Builder after(TcpConfig.Builder b) {
        return b;
    }

    enum Algorithm {
        BEFORE("before: RFC 6675"), AFTER("after: RACK-TLP+PRR");

        final String label;

        Algorithm(String label) {
            this.label = label;
        }

        TcpConfig.Builder apply(TcpConfig.Builder b) {
            return this == BEFORE ? before(b) : after(b);
        }
    }

    /** What one transfer did. */
    record Run(long seed, double loss, Algorithm algorithm, long bytes, long durationNs, long rtos, long episodes,
            long retransmits, long probes, long undos, long framesLost) {
        double goodputMBps() {
            return bytes / (durationNs / 1e9) / 1e6;
        }
    }

    /** One bulk transfer of {@code bytes} from A to B; fails unless every byte arrives and both ends close normally. */
    static Run transfer(long seed, double loss, Algorithm algorithm, long bytes,
            CongestionControls.Algorithm congestion) {
        Simulator sim = new Simulator(seed);
        Impairments imp = Impairments.NONE.withDelay(500_000, 100_000).withLoss(loss)
                .withReordering(loss, 1_100_000).withDuplication(loss / 10)
                .withRate(1_000_000_000L, Impairments.DEFAULT_QUEUE_LIMIT_BYTES);
        VirtualWire wire = VirtualWire.builder("wire", sim.clock(), sim.random().fork("wire")).both(imp)
                .maxInFlightFrames(16_384).build();
        TcpConfig tcp = algorithm.apply(TcpConfig.builder().congestionAlgorithm(congestion)).build();
        NetworkStack a = NetworkStack.builder(sim.newLoop("a")).random(sim.random().fork("a")).tcpConfig(tcp)
                .iface(wire.a(), InterfaceConfig.of("a0", TransferScenario.MAC_A).withIpv4("10.77.0.1/24")).build();
        NetworkStack b = NetworkStack.builder(sim.newLoop("b")).random(sim.random().fork("b")).tcpConfig(tcp)
                .iface(wire.b(), InterfaceConfig.of("b0", TransferScenario.MAC_B).withIpv4("10.77.0.2/24")).build();
        List<StreamEndpoint> servers = new ArrayList<>();
        b.listen(PORT, (TcpListener l) -> {
            dev.chimney.tcp.TcpConnection c;
            while ((c = l.accept()) != null) {
                StreamEndpoint s = StreamEndpoint.server();
                servers.add(s);
                s.attach(c);
            }
        });
        StreamEndpoint client = StreamEndpoint.client(0, bytes, 0);
        client.connection = a.connect(TransferScenario.B4, PORT, client);
        long start = sim.nowNs();
        boolean done = sim.runUntil(() -> !servers.isEmpty() && servers.getFirst().complete(), 600 * S);
        long duration = sim.nowNs() - start;
        String where = "seed=" + seed + " loss=" + loss + " " + algorithm + " " + congestion + " client=" + client
                + " servers=" + servers + "\n A " + a.binding() + "\n B " + b.binding();
        assertTrue(done, "transfer did not finish: " + where);
        sim.runUntil(() -> client.closed != null && servers.getFirst().closed != null, 600 * S);
        assertTrue(client.complete() && servers.getFirst().complete(), where);
        assertEquals(CloseReason.NORMAL, client.closed, where);
        assertEquals(CloseReason.NORMAL, servers.getFirst().closed, where);
        long lost = wire.aToB().counters().dropped(DropReason.LOSS) + wire.bToA().counters().dropped(DropReason.LOSS);
        return new Run(seed, loss, algorithm, bytes, duration, a.tcp().counter(TcpCounter.RTO_EXPIRATIONS),
                a.tcp().counter(TcpCounter.LOSS_EPISODES), a.tcp().counter(TcpCounter.RETRANSMITTED_SEGMENTS),
                a.tcp().counter(TcpCounter.TAIL_LOSS_PROBES),
                a.tcp().counter(TcpCounter.SPURIOUS_RECOVERIES_UNDONE), lost);
    }

    /** One row of the table: an algorithm at a loss rate, summed over seeds. */
    record Cell(Algorithm algorithm, double loss, double relativeGoodput, long rtos, long episodes,
            long retransmits, long probes, long undos, long framesLost) {
        double rtosPerEpisode() {
            return episodes == 0 ? 0 : (double) rtos / episodes;
        }
    }

    /** Runs the campaign and prints its table; returns the cells (before and after for each loss rate). */
    static List<Cell> campaign(long firstSeed, int seeds, long bytes, CongestionControls.Algorithm congestion) {
        List<Cell> cells = new ArrayList<>();
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                "%nLoss-recovery campaign: %d MiB bulk A->B, 1 Gbit/s, 0.5 ms one way, %s, seeds %d..%d%n"
                        + "%-22s %5s %9s %9s %7s %9s %6s %8s %6s %6s%n", bytes >> 20, congestion.configName(),
                firstSeed, firstSeed + seeds - 1, "algorithm", "loss", "goodput", "vs 0%", "RTOs", "episodes",
                "RTO/ep", "rexmits", "TLPs", "undos"));
        for (Algorithm algorithm : Algorithm.values()) {
            double cleanSeconds = 0;
            for (long seed = firstSeed; seed < firstSeed + seeds; seed++) {
                cleanSeconds += transfer(seed, 0, algorithm, bytes, congestion).durationNs() / 1e9;
            }
            double cleanMBps = seeds * bytes / cleanSeconds / 1e6;
            table.append(String.format(Locale.ROOT, "%-22s %4.0f%% %6.1fMB/s %8.2fx%n", algorithm.label, 0.0,
                    cleanMBps, 1.0));
            for (double loss : LOSS_RATES) {
                double seconds = 0;
                long rtos = 0;
                long episodes = 0;
                long retransmits = 0;
                long probes = 0;
                long undos = 0;
                long lost = 0;
                for (long seed = firstSeed; seed < firstSeed + seeds; seed++) {
                    Run r = transfer(seed, loss, algorithm, bytes, congestion);
                    seconds += r.durationNs() / 1e9;
                    rtos += r.rtos();
                    episodes += r.episodes();
                    retransmits += r.retransmits();
                    probes += r.probes();
                    undos += r.undos();
                    lost += r.framesLost();
                }
                double mbps = seeds * bytes / seconds / 1e6;
                Cell c = new Cell(algorithm, loss, mbps / cleanMBps, rtos, episodes, retransmits, probes, undos,
                        lost);
                cells.add(c);
                table.append(String.format(Locale.ROOT, "%-22s %4.0f%% %6.1fMB/s %8.2fx %7d %9d %6.2f %8d %6d %6d%n",
                        algorithm.label, loss * 100, mbps, c.relativeGoodput(), rtos, episodes, c.rtosPerEpisode(),
                        retransmits, probes, undos));
            }
        }
        System.out.println(table);
        return cells;
    }

    static Cell cell(List<Cell> cells, Algorithm algorithm, double loss) {
        return cells.stream().filter(c -> c.algorithm() == algorithm && c.loss() == loss).findFirst().orElseThrow();
    }

    @Test
    void rackTlpRecoversWithFewerTimeoutsAndMoreGoodputThanRfc6675() {
        List<Cell> cells = campaign(1, 1, 4L << 20, CongestionControls.Algorithm.NEWRENO);
        for (double loss : LOSS_RATES) {
            Cell old = cell(cells, Algorithm.BEFORE, loss);
            Cell rack = cell(cells, Algorithm.AFTER, loss);
            String where = "loss " + loss + ": before " + old + " after " + rack;
            // not vacuous: the wire lost frames and both recovered through loss episodes
            assertTrue(old.framesLost() > 0 && old.episodes() > 0 && rack.episodes() > 0, where);
            // RFC 8985: the RTO is the last resort, so fewer of the episodes end in one (at 3% and 5% the old
            // recovery needed some), and the transfer is faster
            assertTrue(rack.rtosPerEpisode() <= old.rtosPerEpisode(), where);
            if (loss >= 0.03) {
                assertTrue(old.rtos() > 0 && rack.rtosPerEpisode() < old.rtosPerEpisode(), where);
            }
            assertTrue(rack.relativeGoodput() > old.relativeGoodput(), where);
        }
    }

    @Tag("slow")
    @Test
    void fullerTable() {
        // -Pslow: ten seeds, 16 MiB, both congestion controllers (override: -Dloss.campaign.seeds=N)
        int seeds = Integer.getInteger("loss.campaign.seeds", 10);
        for (CongestionControls.Algorithm cc : CongestionControls.Algorithm.values()) {
            List<Cell> cells = campaign(100, seeds, 16L << 20, cc);
            for (double loss : LOSS_RATES) {
                Cell old = cell(cells, Algorithm.BEFORE, loss);
                Cell rack = cell(cells, Algorithm.AFTER, loss);
                // at 1% both need an RTO about once in a hundred episodes (RACK-TLP's episodes are fewer and larger:
                // one covers the losses of a round trip), so the claim is on the count of timeouts
                assertTrue(rack.rtos() <= old.rtos(), old + " / " + rack);
                if (loss >= 0.03) {
                    assertTrue(rack.rtosPerEpisode() < old.rtosPerEpisode(), old + " / " + rack);
                }
                assertTrue(rack.relativeGoodput() > old.relativeGoodput(), old + " / " + rack);
            }
        }
    }
}
