package io.aegis.microbench;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * Reports {@code cpu.time.norm}: CPU time consumed by the whole benchmark JVM (benchmark thread,
 * GC, JIT, everything) during an iteration, divided by the operations done in it, in the
 * benchmark's time unit.
 *
 * <p>Why: this machine is shared, and when other tenants take the CPUs the wall-clock score of a
 * benchmark grows with time spent waiting for a CPU, not working. CPU time per operation does not
 * count the waiting (only some cache disturbance), so it is the better input for "operations per
 * second per core" bounds. It includes the GC work an operation's allocation causes, which is part
 * of that bound too. With one benchmark thread and an idle machine it is close to the score.
 *
 * <p>Use: {@code -prof io.aegis.microbench.CpuTimeProfiler}.
 */
public final class CpuTimeProfiler implements InternalProfiler {

    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private long startCpuNanos;

    @Override
    public String getDescription() {
        return "JVM process CPU time per operation (all threads, GC included)";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        startCpuNanos = os.getProcessCpuTime();
    }

    @Override
    public List<Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                       IterationResult result) {
        long cpuNanos = os.getProcessCpuTime() - startCpuNanos;
        long ops = result.getMetadata().getAllOps();
        if (startCpuNanos < 0 || ops == 0) {
            return List.of();
        }
        TimeUnit unit = benchmarkParams.getTimeUnit();
        double perOp = (double) cpuNanos / ops / TimeUnit.NANOSECONDS.convert(1, unit);
        return List.of(new ScalarResult("cpu.time.norm", perOp, unitLabel(unit) + "/op", AggregationPolicy.AVG));
    }

    private static String unitLabel(TimeUnit unit) {
        return switch (unit) {
            case NANOSECONDS -> "ns";
            case MICROSECONDS -> "us";
            case MILLISECONDS -> "ms";
            case SECONDS -> "s";
            default -> unit.name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
