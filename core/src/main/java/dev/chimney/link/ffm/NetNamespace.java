package dev.chimney.link.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Runs code inside a named Linux network namespace (one made by {@code ip netns add NAME}) without touching the
 * namespace of the rest of the process.
 *
 * <p>setns(2) with {@code CLONE_NEWNET} moves only the calling thread, so the action runs on a fresh platform
 * thread that enters the namespace first and exits afterwards. File descriptors it opens (a TAP, a raw socket, an
 * ioctl socket) stay bound to that namespace and are usable from any thread once it returns.
 */
public final class NetNamespace {
    /** Where iproute2 keeps the bind mounts of named namespaces. */
    public static final Path RUN_DIR = Path.of("/var/run/netns");

    private NetNamespace() {
    }

    /**
     * Runs {@code action} on a new platform thread that first joins namespace {@code netns}, waits for it and
     * returns its result (or rethrows its exception).
     *
     * @throws IllegalArgumentException if the namespace does not exist or the name is not a plain name
     * @throws IllegalStateException if setns(2) fails (for example without CAP_SYS_ADMIN)
     */
    public static <T> T callIn(String netns, Supplier<T> action) {
        Objects.requireNonNull(action, "action");
        Path path = pathOf(netns);
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("network namespace '" + netns + "' does not exist (" + path
                    + "): create it first with 'ip netns add " + netns + "'");
        }
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().name("netns-" + netns).unstarted(() -> {
            try {
                enter(path);
                result.set(action.get());
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        thread.start();
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the namespace thread must finish: it may own a just-opened fd
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw new IllegalStateException(t);
        }
        return result.get();
    }

    /** The bind-mount path of a named namespace; rejects names that would escape {@link #RUN_DIR}. */
    public static Path pathOf(String netns) {
        if (netns == null || netns.isEmpty() || netns.contains("/") || netns.equals(".") || netns.equals("..")) {
            throw new IllegalArgumentException("a network namespace name is a plain name like 'chy-1', got '"
                    + netns + "'");
        }
        return RUN_DIR.resolve(netns);
    }

    private static void enter(Path path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoState = LibC.allocateErrnoState(arena);
            int fd = LibC.open(errnoState, arena.allocateFrom(path.toString()), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
            if (fd < 0) {
                int errno = LibC.errno(errnoState);
                throw new IllegalStateException("cannot open network namespace " + path + ": "
                        + LibC.strerror(errno));
            }
            int rc = LibC.setns(errnoState, fd, LibC.CLONE_NEWNET);
            int errno = LibC.errno(errnoState);
            LibC.close(errnoState, fd);
            if (rc != 0) {
                String hint = errno == LibC.EPERM ? " (needs CAP_SYS_ADMIN: run as root)" : "";
                throw new IllegalStateException("setns(" + path + ") failed: " + LibC.strerror(errno) + hint);
            }
        }
    }
}
