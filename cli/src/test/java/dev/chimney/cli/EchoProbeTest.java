package dev.chimney.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chimney.ip.IpCidr;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.testkit.Interop;
import dev.chimney.testkit.NetNs;
import dev.chimney.wire.MacAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EchoProbeTest {
    @Test
    void probe(@TempDir Path dir) throws Exception {
        Interop.requireRoot();
        int mib = Integer.getInteger("probe.mib", 8);
        byte[] data = new byte[mib << 20];
        new Random(1).nextBytes(data);
        Path in = dir.resolve("in");
        Path out = dir.resolve("out");
        Files.write(in, data);
        try (NetNs ns = NetNs.create()) {
            RunSettings s = new RunSettings("chy0", ns.name(), List.of(IpCidr.parse("10.77.4.2/24")), List.of(), 1500,
                    MacAddress.parse("02:00:00:00:04:02"), List.of(), Boolean.getBoolean("probe.pcap") ? Path.of("/tmp/probe.pcap") : null, 3, Duration.ofSeconds(2));
            try (StackRunner r = StackRunner.start(s)) {
                ns.execOk("ip", "addr", "add", "10.77.4.1/24", "dev", "chy0");
                r.onLoop(() -> r.stack().listen(7, l -> {
                    TcpConnection c;
                    while ((c = l.accept()) != null) {
                        byte[] buf = new byte[65536];
                        c.listener(new TcpConnection.Listener() {
                            @Override
                            public void onReadable(TcpConnection c) {
                                pump(c, buf);
                            }

                            @Override
                            public void onWritable(TcpConnection c) {
                                pump(c, buf);
                            }

                            @Override
                            public void onClosed(TcpConnection c, CloseReason reason) {
                                System.err.println("closed " + reason);
                            }
                        });
                        pump(c, buf);
                    }
                }));
                if (Boolean.getBoolean("probe.loss")) {
                    ns.execOk("nft", "add", "table", "inet", "t");
                    ns.execOk("nft", "add chain inet t in { type filter hook input priority 0 ; }");
                    ns.execOk("nft", "add chain inet t out { type filter hook output priority 0 ; }");
                    ns.execOk("nft", "add rule inet t in meta l4proto tcp numgen random mod 100 < 2 drop");
                    ns.execOk("nft", "add rule inet t out meta l4proto tcp numgen random mod 100 < 2 drop");
                }
                long t0 = System.nanoTime();
                NetNs.Result res = ns.exec(Duration.ofSeconds(120), "sh", "-c",
                        "socat -b65536 -t60 TCP:10.77.4.2:7 STDIO < " + in + " > " + out);
                double s2 = (System.nanoTime() - t0) / 1e9;
                System.err.printf("echo %d MiB in %.2f s (%.1f MiB/s) %s%n", mib, s2, mib / s2, res);
                System.err.println(r.onLoop(() -> {
                    StringBuilder sb = new StringBuilder();
                    for (dev.chimney.tcp.TcpCounter c : dev.chimney.tcp.TcpCounter.values()) {
                        long v = r.stack().tcp().counter(c);
                        if (v != 0) {
                            sb.append(c).append('=').append(v).append(' ');
                        }
                    }
                    return sb.toString();
                }));
                if (Boolean.getBoolean("probe.loss")) {
                    System.err.println(ns.exec("nft", "list", "ruleset").stdout());
                }
            }
        }
        assertEquals(data.length, Files.size(out));
    }

    static void pump(TcpConnection c, byte[] buf) {
        while (true) {
            int room = Math.min(buf.length, c.writableBytes());
            if (room == 0) {
                break;
            }
            int n = c.read(buf, 0, room);
            if (n <= 0) {
                break;
            }
            c.write(buf, 0, n);
        }
        if (c.isEndOfStream() && c.readableBytes() == 0) {
            c.close();
        }
    }
}
