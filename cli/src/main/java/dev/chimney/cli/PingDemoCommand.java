package dev.chimney.cli;

import dev.chimney.ip.InterfaceConfig;
import dev.chimney.ip.IpCounter;
import dev.chimney.ip.IpStack;
import dev.chimney.ip.IpStackConfig;
import dev.chimney.link.Impairments;
import dev.chimney.link.PcapTap;
import dev.chimney.link.PcapWriter;
import dev.chimney.link.VirtualWire;
import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Simulator;
import dev.chimney.wire.IpAddress;
import dev.chimney.wire.MacAddress;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code chimney demo ping}: two stacks on the in-memory virtual network, all on one simulated clock. Alice pings Bob
 * over IPv4 and IPv6 (ARP and NDP resolve first; one ping of each family is large enough to be fragmented and
 * reassembled) and every frame on the wire is written to a pcap file that Wireshark or tshark opens. The same seed
 * always gives the same pcap, byte for byte.
 */
@Command(name = "ping", mixinStandardHelpOptions = true,
        description = "Run two stacks on the virtual network: ping over IPv4 and IPv6, write a pcap.")
public final class PingDemoCommand implements Callable<Integer> {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;

    @Spec
    CommandSpec spec;

    @Option(names = "--seed", description = "Root seed of the run (default ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--pcap", description = "Capture file to write (default ${DEFAULT-VALUE}).")
    Path pcap = Path.of("demo.pcap");

    @Option(names = "--count", description = "Pings per address family (default ${DEFAULT-VALUE}).")
    int count = 4;

    @Option(names = "--loss", description = "Frame loss probability on the wire, each way (default ${DEFAULT-VALUE}).")
    double loss = 0.0;

    @Option(names = "--delay-ms", description = "One-way wire delay in ms (default ${DEFAULT-VALUE}).")
    double delayMs = 0.5;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (count < 1 || loss < 0 || loss >= 1 || delayMs < 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--count must be >= 1, --loss in [0, 1), --delay-ms >= 0");
        }
        Simulator sim = new Simulator(seed);
        Impairments impairments = Impairments.NONE.withDelay((long) (delayMs * MS), 0).withLoss(loss);
        VirtualWire wire = VirtualWire.builder("wire", sim.clock(), sim.random().fork("wire")).both(impairments)
                .build();
        try (PcapWriter writer = PcapWriter.create(pcap, sim.clock());
             PcapTap alicePort = new PcapTap(wire.a(), writer)) {
            IpStack alice = stack(sim, "alice", alicePort, InterfaceConfig.of("alice0",
                    MacAddress.parse("02:00:00:00:00:a1")).withIpv4("10.77.0.1/24").withIpv6("fd77::1/64"));
            IpStack bob = stack(sim, "bob", wire.b(), InterfaceConfig.of("bob0",
                    MacAddress.parse("02:00:00:00:00:b0")).withIpv4("10.77.0.2/24").withIpv6("fd77::2/64"));
            int[] replies = new int[1];
            alice.addEchoListener((from, id, sequence, bytes, rttNs) -> {
                replies[0]++;
                out.printf("%d bytes from %s: icmp_seq=%d time=%.3f ms%n", bytes + 8, from, sequence,
                        rttNs / 1e6);
            });
            out.printf("chimney demo: alice (10.77.0.1, fd77::1) pings bob (10.77.0.2, fd77::2), seed %d%n", seed);
            int sent = 0;
            for (IpAddress target : new IpAddress[] {IpAddress.parse("10.77.0.2"), IpAddress.parse("fd77::2")}) {
                out.printf("PING %s%n", target);
                for (int i = 1; i <= count; i++) {
                    // The last ping of each family carries 3000 bytes: fragmented by alice, reassembled by bob.
                    int payload = i == count ? 3000 : 56;
                    if (alice.sendEchoRequest(target, 0xC41, i, payload)) {
                        sent++;
                    }
                    sim.runFor(S);
                }
            }
            sim.runFor(S);
            out.printf("%d requests, %d replies; bob reassembled %d datagrams; frames on the wire: %d%n", sent,
                    replies[0], bob.counters().get(IpCounter.FRAG_REASSEMBLED),
                    writer.records());
            out.printf("capture written to %s (open with: tshark -r %s)%n", pcap.toAbsolutePath(), pcap);
            return replies[0] > 0 ? 0 : 1;
        }
    }

    private static IpStack stack(Simulator sim, String name, dev.chimney.link.NetworkPort port,
            InterfaceConfig config) {
        EventLoop loop = sim.newLoop(name);
        IpStack stack = new IpStack(loop, sim.random().fork(name), IpStackConfig.defaults());
        stack.attach(port, config);
        return stack;
    }
}
