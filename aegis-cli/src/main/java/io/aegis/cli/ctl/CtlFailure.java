package io.aegis.cli.ctl;

/**
 * Why a {@code ctl} command did not do what it was asked, with the exit status that says so:
 * {@link #REFUSED} (1) when the gateway refused (its error code is printed) or the outcome waited
 * for did not come, {@link #UNREACHABLE} (3) when the gateway could not be reached. Usage errors
 * (2) are picocli's {@code ParameterException}s.
 */
public class CtlFailure extends RuntimeException {
  /** The gateway refused, or what was waited for did not happen. */
  public static final int REFUSED = 1;
  /** Bad arguments or settings. */
  public static final int USAGE = 2;
  /** No answer from the gateway: not running, wrong address, TLS not trusted, timed out. */
  public static final int UNREACHABLE = 3;

  private final int exitCode;

  public CtlFailure(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }

  /** The gateway answered with an error ({@code {"error": {"code", "message"}}}). */
  public static final class Refused extends CtlFailure {
    private final int status;
    private final String code;

    public Refused(int status, String code, String message) {
      super(REFUSED, message);
      this.status = status;
      this.code = code;
    }

    /** The HTTP status. */
    public int status() {
      return status;
    }

    /** The gateway's error code (docs/API.md, "Errors"). */
    public String code() {
      return code;
    }

    @Override
    public String getMessage() {
      return code + ": " + super.getMessage() + " (HTTP " + status + ")";
    }
  }
}
