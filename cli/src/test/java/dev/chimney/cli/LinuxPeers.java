package dev.chimney.cli;

import dev.chimney.testkit.NetNs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Linux peers for interop tests, each started inside a test namespace and stopped with it. */
final class LinuxPeers {
    private LinuxPeers() {
    }

    /**
     * Starts nginx serving {@code root} on port {@code port} of {@code listen} addresses (IPv6 ones in brackets)
     * with a configuration, pid file, logs and temp paths all under {@code dir}; returns once it accepts.
     */
    static Process nginx(NetNs ns, Path dir, Path root, int port, Duration limit, String... listen)
            throws IOException, InterruptedException {
        // The worker runs as root: the test's temp directory is private to root (mode 700).
        Path conf = dir.resolve("nginx.conf");
        StringBuilder listens = new StringBuilder();
        for (String address : listen) {
            listens.append("    listen ").append(address).append(':').append(port).append(";\n");
        }
        String tmp = dir.resolve("nginx-tmp").toString();
        Files.createDirectories(Path.of(tmp));
        Files.writeString(conf, """
                user root;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 64; }
                http {
                  access_log %1$s/access.log;
                  client_body_temp_path %2$s/body;
                  proxy_temp_path %2$s/proxy;
                  fastcgi_temp_path %2$s/fastcgi;
                  uwsgi_temp_path %2$s/uwsgi;
                  scgi_temp_path %2$s/scgi;
                  sendfile on;
                  server {
                %3$s    root %4$s;
                  }
                }
                """.formatted(dir, tmp, listens, root));
        Process p = ns.spawn(limit, "nginx", "-e", dir.resolve("error.log").toString(), "-c", conf.toString(),
                "-g", "daemon off;");
        awaitListening(ns, port, p, dir.resolve("error.log"));
        return p;
    }

    /** Waits until something in {@code ns} listens on TCP {@code port} (ss -ltn), at most 10 s. */
    static void awaitListening(NetNs ns, int port, Process process, Path log) throws InterruptedException,
            IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            NetNs.Result ss = ns.exec("ss", "-Hltn", "sport = :" + port);
            if (ss.exitCode() == 0 && !ss.stdout().isBlank()) {
                return;
            }
            if (!process.isAlive()) {
                break;
            }
            Thread.sleep(50);
        }
        String why = log != null && Files.exists(log) ? Files.readString(log) : "";
        throw new AssertionError("nothing listens on port " + port + " in " + ns + " (exit "
                + (process.isAlive() ? "-" : process.exitValue()) + ") " + why);
    }

    /**
     * Drops {@code percent}% of TCP packets at random in both directions of the namespace's kernel (input and
     * output hooks; the stack's frames enter through input, the kernel's replies leave through output).
     */
    static void randomTcpLoss(NetNs ns, int percent) {
        ns.execOk("nft", "add", "table", "inet", "chyloss");
        ns.execOk("nft", "add chain inet chyloss in { type filter hook input priority 0 ; }");
        ns.execOk("nft", "add chain inet chyloss out { type filter hook output priority 0 ; }");
        for (String chain : new String[] {"in", "out"}) {
            ns.execOk("nft", "add rule inet chyloss " + chain + " meta l4proto tcp numgen random mod 100 < "
                    + percent + " counter drop");
        }
    }

    /** Packets the loss rules dropped so far (sum of both counters). */
    static long lossDrops(NetNs ns) {
        String rules = ns.execOk("nft", "list", "table", "inet", "chyloss").stdout();
        long total = 0;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("counter packets (\\d+)").matcher(rules);
        while (m.find()) {
            total += Long.parseLong(m.group(1));
        }
        return total;
    }

    /**
     * Makes the kernel use {@code algorithm} for TCP over the connected routes of {@code dev} (ip route ... congctl).
     * Per route rather than the per-namespace sysctl: a namespace may only pick from the root namespace's
     * tcp_allowed_congestion_control list, while a route may name any algorithm the kernel has.
     */
    static void congestionControl(NetNs ns, String dev, String ipv4Prefix, String ipv4Source, String ipv6Prefix,
            String algorithm) {
        ns.execOk("ip", "route", "replace", ipv4Prefix, "dev", dev, "proto", "kernel", "scope", "link", "src",
                ipv4Source, "congctl", algorithm);
        ns.execOk("ip", "-6", "route", "replace", ipv6Prefix, "dev", dev, "proto", "kernel", "metric", "256",
                "congctl", algorithm);
    }
}
