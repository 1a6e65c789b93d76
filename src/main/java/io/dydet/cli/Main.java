package io.dydet.cli;

import io.dydet.demo.DemoBudgetException;
import io.dydet.model.ConfigException;
import io.dydet.model.ModelLoadException;
import java.io.IOException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code dydet} command line. Commands only parse arguments, call the library and print its results. */
@Command(
        name = "dydet",
        mixinStandardHelpOptions = true,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.SUCCESS, ExitCodes.FAILURE, ExitCodes.USAGE},
        versionProvider = Main.Version.class,
        description = "Dynamic object detection (DynamicDet, CVPR 2023) on the JVM.",
        footer = {
            "",
            "Also: ./dydet spark-detect --help (detection as an Apache Spark job; the Spark module in spark/)."
        },
        subcommands = {
            InfoCommand.class,
            DetectCommand.class,
            ValCommand.class,
            TrainCommand.class,
            TrainRouterCommand.class,
            DemoCommand.class,
            DemoDataCommand.class,
            CalibrateCommand.class,
            CocoEvalCommand.class,
            BenchmarkCommand.class,
            ServeCommand.class,
            ServeBenchmarkCommand.class,
            ExportCommand.class,
            ImportCommand.class,
            PrecisionDriftCommand.class,
            DoctorCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit code (2 for usage errors, 1 for failures). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (ex instanceof ConfigException
                    || ex instanceof ModelLoadException
                    || ex instanceof IllegalArgumentException
                    || ex instanceof IOException
                    || ex instanceof DemoBudgetException
                    || ex instanceof UnsupportedOperationException) {
                err.println("error: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
                if (Boolean.getBoolean("dydet.debug")) ex.printStackTrace(err);
                return 1;
            }
            throw ex;
        });
        return cl.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"dydet " + (v == null ? "dev" : v)};
        }
    }
}
