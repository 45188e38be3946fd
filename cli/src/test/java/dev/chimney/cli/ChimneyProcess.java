package dev.chimney.cli;

import dev.chimney.testkit.NetNs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code chimney run} as a separate JVM inside a test namespace, exactly as a user starts it (the same main class,
 * this test run's class path): tests read its start line, signal it and check its exit status.
 */
final class ChimneyProcess implements AutoCloseable {
    private final Process process;
    private final StringBuilder stdout = new StringBuilder();
    private final StringBuilder stderr = new StringBuilder();
    private final CompletableFuture<String> startLine = new CompletableFuture<>();
    /** Completed when both output streams reached end of file (so the last lines are in the buffers). */
    private final CompletableFuture<?>[] drained = {new CompletableFuture<Void>(), new CompletableFuture<Void>()};

    private ChimneyProcess(Process process) {
        this.process = process;
        pump(process.getInputStream(), stdout, true, drained[0]);
        pump(process.getErrorStream(), stderr, false, drained[1]);
    }

    /** Starts {@code chimney run ARGS} in {@code ns} (killed after {@code limit} in any case). */
    static ChimneyProcess start(NetNs ns, Duration limit, String... runArgs) {
        return startWrapped(ns, limit, List.of(), runArgs);
    }

    /** As {@link #start}, with {@code wrapper} (e.g. setpriv ...) before the java command. */
    static ChimneyProcess startWrapped(NetNs ns, Duration limit, List<String> wrapper, String... runArgs) {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "run"));
        cmd.addAll(List.of(runArgs));
        return new ChimneyProcess(ns.spawn(limit, cmd.toArray(String[]::new)));
    }

    private void pump(java.io.InputStream in, StringBuilder into, boolean firstLineStarts,
                      CompletableFuture<?> done) {
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (into) {
                        into.append(line).append('\n');
                    }
                    if (firstLineStarts) {
                        startLine.complete(line);
                    }
                }
            } catch (IOException ignored) {
                // process gone
            }
            if (firstLineStarts) {
                startLine.completeExceptionally(new IllegalStateException("chimney run exited before its start "
                        + "line; stderr: " + stderr()));
            }
            done.complete(null);
        });
    }

    /** Waits for the line printed once the stack is up (it names what is served where). */
    String awaitStarted(Duration limit) throws Exception {
        try {
            return startLine.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("chimney run printed no start line within " + limit + "; stderr: " + stderr(), e);
        }
    }

    /**
     * Sends SIGTERM (through timeout(1), which forwards it to the JVM) and waits for the exit status. The
     * process handle is timeout's, which exits with its child's status.
     */
    int terminate(Duration limit) throws InterruptedException {
        // Through the handle: Process.destroy() would also close our ends of its output pipes, losing what it
        // prints while shutting down.
        process.toHandle().destroy();
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("chimney run did not exit within " + limit + " of SIGTERM; stdout: " + stdout()
                    + " stderr: " + stderr());
        }
        try {
            CompletableFuture.allOf(drained).get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError("output of chimney run not closed after exit", e);
        }
        return process.exitValue();
    }

    /** Waits for the process to end by itself; returns its exit status. */
    int awaitExit(Duration limit) throws InterruptedException {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("chimney run still running after " + limit + "; stdout: " + stdout()
                    + " stderr: " + stderr());
        }
        try {
            CompletableFuture.allOf(drained).get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError("output of chimney run not closed after exit", e);
        }
        return process.exitValue();
    }

    /**
     * A thread dump of the stack's JVM (jcmd Thread.print), for a test that finds it stuck; what went wrong if
     * none could be taken.
     */
    String threadDump() {
        try {
            var java = process.descendants().filter(h -> h.info().command().map(c -> c.endsWith("/java"))
                    .orElse(false)).findFirst();
            long pid = java.map(ProcessHandle::pid).orElse(process.pid());
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), "Thread.print").redirectErrorStream(true).start();
            String dump = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            jcmd.waitFor(20, TimeUnit.SECONDS);
            return dump;
        } catch (java.io.IOException e) {
            return "no thread dump: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "no thread dump: interrupted";
        }
    }

    String stdout() {
        synchronized (stdout) {
            return stdout.toString();
        }
    }

    String stderr() {
        synchronized (stderr) {
            return stderr.toString();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
