package dev.chimney.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace made for one test and deleted afterwards ({@code ip netns add chy-PID-N}). Every command
 * runs inside it through {@code ip netns exec NAME timeout S cmd...}; the root namespace is never configured.
 *
 * <pre>{@code
 * try (NetNs ns = NetNs.create()) {
 *     ns.execOk("ip", "addr", "add", "10.77.0.1/24", "dev", "lo");
 * }
 * }</pre>
 * Call {@link Interop#requireRoot()} first.
 */
public final class NetNs implements AutoCloseable {
    /** Time limit for one {@link #exec} unless one is given. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final String name;
    private final List<Process> spawned = new ArrayList<>();
    private boolean closed;

    private NetNs(String name) {
        this.name = name;
    }

    /** Creates a fresh namespace named {@code chy-<pid>-<n>} with its loopback up. */
    public static NetNs create() {
        String name = "chy-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        Result add = run(DEFAULT_TIMEOUT, "ip", "netns", "add", name);
        if (add.exitCode() != 0) {
            throw new IllegalStateException("ip netns add " + name + " failed: " + add);
        }
        NetNs ns = new NetNs(name);
        try {
            ns.execOk("ip", "link", "set", "lo", "up");
        } catch (RuntimeException | Error e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    /**
     * Joins two namespaces with a veth pair: {@code name1} in {@code ns1}, {@code name2} in {@code ns2}, both up.
     * The pair is created inside ns1 and one end moved, so the root namespace never holds it.
     */
    public static void vethPair(NetNs ns1, String name1, NetNs ns2, String name2) {
        ns1.execOk("ip", "link", "add", name1, "type", "veth", "peer", "name", name2, "netns", ns2.name());
        ns1.execOk("ip", "link", "set", name1, "up");
        ns2.execOk("ip", "link", "set", name2, "up");
    }

    public String name() {
        return name;
    }

    /** The bind-mount path (for setns). */
    public Path path() {
        return Path.of("/var/run/netns", name);
    }

    /** Runs {@code cmd} in the namespace with the default timeout; returns exit code and output. */
    public Result exec(String... cmd) {
        return exec(DEFAULT_TIMEOUT, cmd);
    }

    /** Runs {@code cmd} in the namespace, killed by timeout(1) after {@code timeout}. */
    public Result exec(Duration timeout, String... cmd) {
        ensureOpen();
        return run(timeout.plusSeconds(5), wrap(timeout, cmd));
    }

    /** Like {@link #exec} but throws (with the output) unless the command exits 0. */
    public Result execOk(String... cmd) {
        Result r = exec(cmd);
        if (r.exitCode() != 0) {
            throw new AssertionError("command failed in netns " + name + ": " + String.join(" ", cmd) + " -> " + r);
        }
        return r;
    }

    /**
     * Starts {@code cmd} in the background in the namespace (killed by timeout(1) after {@code timeout}, and in
     * any case when this namespace closes). Output goes to the returned process's streams.
     */
    public Process spawn(Duration timeout, String... cmd) {
        ensureOpen();
        try {
            Process p = new ProcessBuilder(wrap(timeout, cmd)).start();
            spawned.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", cmd) + " in netns " + name, e);
        }
    }

    private String[] wrap(Duration timeout, String... cmd) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name, "timeout", "--kill-after=2",
                Long.toString(Math.max(1, timeout.toSeconds()))));
        full.addAll(List.of(cmd));
        return full.toArray(String[]::new);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("netns " + name + " is closed; create a new NetNs");
        }
    }

    /** Kills spawned processes and anything else left in the namespace, then deletes it. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Process p : spawned) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : spawned) {
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // Processes started by others inside the namespace (e.g. a daemon a test forked).
        Result pids = run(DEFAULT_TIMEOUT, "ip", "netns", "pids", name);
        if (pids.exitCode() == 0) {
            for (String line : pids.stdout().split("\\s+")) {
                if (!line.isBlank()) {
                    try {
                        ProcessHandle.of(Long.parseLong(line.trim())).ifPresent(ProcessHandle::destroyForcibly);
                    } catch (NumberFormatException ignored) {
                        // not a pid: nothing to kill
                    }
                }
            }
        }
        run(DEFAULT_TIMEOUT, "ip", "netns", "delete", name);
    }

    @Override
    public String toString() {
        return "NetNs[" + name + "]";
    }

    /** Exit code and captured output of one command. */
    public record Result(int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exitCode + (stdout.isBlank() ? "" : ", stdout: " + stdout.strip())
                    + (stderr.isBlank() ? "" : ", stderr: " + stderr.strip());
        }
    }

    /** Runs a command (already wrapped as needed), waiting at most {@code limit}. */
    static Result run(Duration limit, String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).start();
            p.getOutputStream().close();
            CompletableFuture<String> out = drain(p.getInputStream());
            CompletableFuture<String> err = drain(p.getErrorStream());
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                return new Result(124, out.getNow(""), "killed after " + limit + ": " + String.join(" ", cmd));
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", cmd), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", cmd), e);
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }, Thread::startVirtualThread);
    }
}
