package dev.chimney.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code ./chimney}. */
@Command(name = "chimney", mixinStandardHelpOptions = true, version = "chimney 0.1.0",
        description = "A user-space TCP/IP stack with TCP chimney offload.",
        subcommands = {DemoCommand.class, RunCommand.class, CtlCommand.class, BenchCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The command line with Chimney's error reporting: a bad argument is one line on stderr naming the option
     * (exit 2), a failure at run time (no privilege, busy device, ...) is one line with the reason (exit 1). Set
     * CHIMNEY_TRACE=1 to also get the stack trace of a failure.
     */
    public static CommandLine commandLine() {
        return commandLine(CommandLine.defaultFactory());
    }

    /** The same with subcommands made by {@code factory} (tests give a command stand-ins this way). */
    static CommandLine commandLine(CommandLine.IFactory factory) {
        CommandLine cli = new CommandLine(new Main(), factory);
        cli.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + ex.getMessage() + " (see '"
                    + cmd.getCommandSpec().qualifiedName() + " --help')");
            cmd.getErr().flush();
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
        cli.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            String message = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + message);
            if ("1".equals(System.getenv("CHIMNEY_TRACE"))) {
                ex.printStackTrace(cmd.getErr());
            }
            cmd.getErr().flush();
            return 1;
        });
        return cli;
    }
}
