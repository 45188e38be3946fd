package dev.chimney.link.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Bindings to the few Linux libc calls the link layer needs (TUN/TAP, poll, network namespaces, AF_PACKET),
 * through {@code java.lang.foreign}.
 *
 * <p>Every call that can fail takes, as its first argument, an errno capture segment (allocate one per device or
 * per thread with {@link #allocateErrnoState(Arena)}; read it with {@link #errno(MemorySegment)} right after a
 * call returned -1). The handles are {@code static final} and called with {@code invokeExact}, so the JIT binds
 * them like direct calls. Pointer arguments must be native segments: the kernel cannot see a heap array.
 *
 * <p>Constants are the Linux x86-64/aarch64 values (from {@code <linux/if_tun.h>}, {@code <linux/sockios.h>},
 * {@code <fcntl.h>}, {@code <poll.h>}, {@code <sched.h>}, {@code <errno.h>}).
 */
public final class LibC {
    private LibC() {
    }

    // ---- open(2)/fcntl(2) flags ----
    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;

    // ---- poll(2) ----
    public static final short POLLIN = 0x1;
    public static final short POLLOUT = 0x4;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;

    // ---- eventfd(2) ----
    public static final int EFD_NONBLOCK = 0x800;
    public static final int EFD_CLOEXEC = 0x80000;

    // ---- setns(2) ----
    public static final int CLONE_NEWNET = 0x4000_0000;

    // ---- sockets ----
    public static final int AF_INET = 2;
    public static final int AF_PACKET = 17;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int MSG_DONTWAIT = 0x40;
    /** {@code ETH_P_ALL}: every protocol, host order (use {@link #htons} for sll_protocol / socket()). */
    public static final int ETH_P_ALL = 0x0003;

    // ---- ioctl requests: TUN/TAP (<linux/if_tun.h>, _IOW('T', n, int)) ----
    public static final long TUNSETIFF = 0x4004_54caL;
    public static final long TUNSETPERSIST = 0x4004_54cbL;
    public static final long TUNSETOFFLOAD = 0x4004_54d0L;
    public static final long TUNGETIFF = 0x8004_54d2L;
    public static final long TUNSETVNETHDRSZ = 0x4004_54d8L;
    public static final short IFF_TUN = 0x0001;
    public static final short IFF_TAP = 0x0002;
    public static final short IFF_NO_PI = 0x1000;
    public static final short IFF_VNET_HDR = 0x4000;
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    public static final int TUN_F_TSO_ECN = 0x08;

    // ---- ioctl requests: interfaces (<linux/sockios.h>) ----
    public static final long SIOCGIFFLAGS = 0x8913L;
    public static final long SIOCSIFFLAGS = 0x8914L;
    public static final long SIOCGIFMTU = 0x8921L;
    public static final long SIOCSIFMTU = 0x8922L;
    public static final long SIOCGIFHWADDR = 0x8927L;
    public static final long SIOCGIFINDEX = 0x8933L;
    public static final long SIOCGIFTXQLEN = 0x8942L;
    public static final long SIOCSIFTXQLEN = 0x8943L;
    public static final short IFF_UP = 0x1;
    /** Operationally up: administratively up and the carrier is on (for a TAP: a process holds it open). */
    public static final short IFF_RUNNING = 0x40;
    public static final int IFNAMSIZ = 16;

    // ---- errno values ----
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int ENXIO = 6;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int ENOTTY = 25;
    public static final int EMSGSIZE = 90;
    public static final int ENOBUFS = 105;

    // ---- struct layouts ----

    /** {@code struct ifreq}: a 16-byte name then a 24-byte union (flags, mtu, ifindex, hwaddr...). */
    public static final StructLayout IFREQ = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(IFNAMSIZ, JAVA_BYTE).withName("ifr_name"),
            MemoryLayout.unionLayout(
                    JAVA_SHORT.withName("ifr_flags"),
                    JAVA_INT.withName("ifr_mtu"),
                    JAVA_INT.withName("ifr_ifindex"),
                    JAVA_INT.withName("ifr_qlen"),
                    MemoryLayout.structLayout(
                            JAVA_SHORT.withName("sa_family"),
                            MemoryLayout.sequenceLayout(14, JAVA_BYTE).withName("sa_data")).withName("ifr_hwaddr"),
                    MemoryLayout.paddingLayout(24)).withName("ifr_ifru"));
    public static final long IFR_NAME_OFFSET = 0;
    public static final long IFR_FLAGS_OFFSET = offset(IFREQ, "ifr_ifru", "ifr_flags");
    public static final long IFR_MTU_OFFSET = offset(IFREQ, "ifr_ifru", "ifr_mtu");
    public static final long IFR_IFINDEX_OFFSET = offset(IFREQ, "ifr_ifru", "ifr_ifindex");
    public static final long IFR_QLEN_OFFSET = offset(IFREQ, "ifr_ifru", "ifr_qlen");
    /** The six MAC bytes sit at the start of {@code sa_data}. */
    public static final long IFR_HWADDR_DATA_OFFSET = offset(IFREQ, "ifr_ifru", "ifr_hwaddr", "sa_data");

    /** {@code struct pollfd}. */
    public static final StructLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents"));
    public static final long POLLFD_FD_OFFSET = offset(POLLFD, "fd");
    public static final long POLLFD_EVENTS_OFFSET = offset(POLLFD, "events");
    public static final long POLLFD_REVENTS_OFFSET = offset(POLLFD, "revents");

    /** {@code struct timespec} (64-bit). */
    public static final StructLayout TIMESPEC = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_nsec"));
    public static final long TIMESPEC_SEC_OFFSET = offset(TIMESPEC, "tv_sec");
    public static final long TIMESPEC_NSEC_OFFSET = offset(TIMESPEC, "tv_nsec");

    /** {@code struct sockaddr_ll} (AF_PACKET address). sll_protocol is in network byte order. */
    public static final StructLayout SOCKADDR_LL = MemoryLayout.structLayout(
            JAVA_SHORT.withName("sll_family"),
            JAVA_SHORT.withName("sll_protocol"),
            JAVA_INT.withName("sll_ifindex"),
            JAVA_SHORT.withName("sll_hatype"),
            JAVA_BYTE.withName("sll_pkttype"),
            JAVA_BYTE.withName("sll_halen"),
            MemoryLayout.sequenceLayout(8, JAVA_BYTE).withName("sll_addr"));
    public static final long SLL_FAMILY_OFFSET = offset(SOCKADDR_LL, "sll_family");
    public static final long SLL_PROTOCOL_OFFSET = offset(SOCKADDR_LL, "sll_protocol");
    public static final long SLL_IFINDEX_OFFSET = offset(SOCKADDR_LL, "sll_ifindex");
    public static final long SLL_HALEN_OFFSET = offset(SOCKADDR_LL, "sll_halen");
    public static final long SLL_ADDR_OFFSET = offset(SOCKADDR_LL, "sll_addr");

    // ---- errno capture ----
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO_HANDLE =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    /** Allocates a segment that {@code captureCallState("errno")} downcalls write errno into. */
    public static MemorySegment allocateErrnoState(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    /** The errno a failed call left in {@code state}. */
    public static int errno(MemorySegment state) {
        return (int) ERRNO_HANDLE.get(state, 0L);
    }

    // ---- method handles ----
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = errnoHandle("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = errnoHandle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = errnoHandle("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = errnoHandle("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITEV = errnoHandle("writev",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle IOCTL_PTR = errnoHandle("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL_LONG = errnoHandle("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FCNTL = errnoHandle("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle PPOLL = errnoHandle("ppoll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
    private static final MethodHandle EVENTFD = errnoHandle("eventfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SETNS = errnoHandle("setns",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SOCKET = errnoHandle("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = errnoHandle("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SENDTO = errnoHandle("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECV = errnoHandle("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LIBC.findOrThrow("strerror"),
            FunctionDescriptor.of(ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(256, JAVA_BYTE)), JAVA_INT));

    private static MethodHandle errnoHandle(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = ERRNO;
        System.arraycopy(extra, 0, options, 1, extra.length);
        return LINKER.downcallHandle(LIBC.findOrThrow(name), descriptor, options);
    }

    private static long offset(StructLayout layout, String... path) {
        MemoryLayout.PathElement[] elements = new MemoryLayout.PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = MemoryLayout.PathElement.groupElement(path[i]);
        }
        return layout.byteOffset(elements);
    }

    // ---- calls: each returns what the syscall returns (-1 with errno in state on failure) ----

    public static int open(MemorySegment errnoState, MemorySegment path, int flags, int mode) {
        try {
            return (int) OPEN.invokeExact(errnoState, path, flags, mode);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int close(MemorySegment errnoState, int fd) {
        try {
            return (int) CLOSE.invokeExact(errnoState, fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long read(MemorySegment errnoState, int fd, MemorySegment buf, long count) {
        try {
            return (long) READ.invokeExact(errnoState, fd, buf, count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long write(MemorySegment errnoState, int fd, MemorySegment buf, long count) {
        try {
            return (long) WRITE.invokeExact(errnoState, fd, buf, count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** struct iovec { void *iov_base; size_t iov_len; } on LP64 Linux. */
    public static final long IOVEC_BYTES = 16;

    /** writev(2): {@code iov} holds {@code count} struct iovec ({@link #IOVEC_BYTES} each) in native memory. */
    public static long writev(MemorySegment errnoState, int fd, MemorySegment iov, int count) {
        try {
            return (long) WRITEV.invokeExact(errnoState, fd, iov, count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl whose argument is a pointer (ifreq, int*). */
    public static int ioctl(MemorySegment errnoState, int fd, long request, MemorySegment arg) {
        try {
            return (int) IOCTL_PTR.invokeExact(errnoState, fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl whose argument is a plain value (TUNSETOFFLOAD, TUNSETPERSIST). */
    public static int ioctl(MemorySegment errnoState, int fd, long request, long arg) {
        try {
            return (int) IOCTL_LONG.invokeExact(errnoState, fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int fcntl(MemorySegment errnoState, int fd, int cmd, int arg) {
        try {
            return (int) FCNTL.invokeExact(errnoState, fd, cmd, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * ppoll(2): {@code timeout} is a {@link #TIMESPEC} or {@link MemorySegment#NULL} to wait forever; no signal
     * mask change.
     */
    public static int ppoll(MemorySegment errnoState, MemorySegment fds, long nfds, MemorySegment timeout) {
        try {
            return (int) PPOLL.invokeExact(errnoState, fds, nfds, timeout, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** eventfd(2): a counter descriptor another thread can make readable by writing 8 bytes. */
    public static int eventfd(MemorySegment errnoState, int initialValue, int flags) {
        try {
            return (int) EVENTFD.invokeExact(errnoState, initialValue, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** setns(2): moves the calling thread only into the namespace {@code fd} refers to. */
    public static int setns(MemorySegment errnoState, int fd, int nsType) {
        try {
            return (int) SETNS.invokeExact(errnoState, fd, nsType);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int socket(MemorySegment errnoState, int domain, int type, int protocol) {
        try {
            return (int) SOCKET.invokeExact(errnoState, domain, type, protocol);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int bind(MemorySegment errnoState, int fd, MemorySegment addr, int addrLen) {
        try {
            return (int) BIND.invokeExact(errnoState, fd, addr, addrLen);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long sendto(MemorySegment errnoState, int fd, MemorySegment buf, long len, int flags,
                              MemorySegment addr, int addrLen) {
        try {
            return (long) SENDTO.invokeExact(errnoState, fd, buf, len, flags, addr, addrLen);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long recv(MemorySegment errnoState, int fd, MemorySegment buf, long len, int flags) {
        try {
            return (long) RECV.invokeExact(errnoState, fd, buf, len, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The C library's text for an errno value, e.g. "Device or resource busy". */
    public static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.equals(MemorySegment.NULL) ? "errno " + errno : text.getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Converts a 16-bit value to network byte order (the value to store in a native-order short field). */
    public static short htons(int hostShort) {
        short s = (short) hostShort;
        return java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN ? Short.reverseBytes(s) : s;
    }

    /** Copies a Java string as a NUL-terminated C string into {@code arena}. */
    public static MemorySegment cString(Arena arena, String text) {
        return arena.allocateFrom(text);
    }

    /** Reads the NUL-terminated interface name from an ifreq. */
    public static String ifreqName(MemorySegment ifreq) {
        return ifreq.asSlice(IFR_NAME_OFFSET, IFNAMSIZ).getString(0);
    }

    /** Writes {@code name} (at most 15 bytes, checked by callers) NUL-padded into an ifreq. */
    public static void ifreqName(MemorySegment ifreq, String name) {
        byte[] bytes = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (bytes.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface names have at most 15 characters: '" + name + "'");
        }
        ifreq.asSlice(IFR_NAME_OFFSET, IFNAMSIZ).fill((byte) 0);
        MemorySegment.copy(bytes, 0, ifreq, ValueLayout.JAVA_BYTE, IFR_NAME_OFFSET, bytes.length);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("native call failed unexpectedly", t);
    }
}
