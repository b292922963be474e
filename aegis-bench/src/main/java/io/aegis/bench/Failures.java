package io.aegis.bench;

import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLException;

/** Turns what went wrong in a run into one line for people, without class names or stack traces. */
public final class Failures {
  private Failures() {}

  /** One line: the gateway unreachable said as such, else the distinct messages of the cause chain. */
  public static String describe(Throwable e, URI gateway) {
    Throwable t = e;
    while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (has(t, ConnectException.class)) {
      return "cannot reach the gateway at " + gateway + ": connection refused (is it running, and is --url right?)";
    }
    if (has(t, UnknownHostException.class)) {
      return "cannot reach the gateway at " + gateway + ": unknown host";
    }
    if (has(t, SSLException.class)) {
      return "TLS with the gateway at " + gateway + " failed: " + messages(t);
    }
    return messages(t);
  }

  private static boolean has(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /** The distinct messages of the chain, outermost first ("a: b"), or the class name if none has one. */
  private static String messages(Throwable e) {
    Set<String> parts = new LinkedHashSet<>();
    for (Throwable t = e; t != null && parts.size() < 4; t = t.getCause()) {
      String m = t.getMessage();
      if (m != null && !m.isBlank() && parts.stream().noneMatch(p -> p.contains(m))) {
        parts.add(m);
      }
    }
    return parts.isEmpty() ? e.getClass().getSimpleName() : String.join(": ", parts);
  }
}
