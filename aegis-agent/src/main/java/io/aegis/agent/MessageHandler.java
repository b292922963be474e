package io.aegis.agent;

/**
 * Application code that receives backend messages of one channel (or, as the default handler,
 * of every channel without its own handler). Registered with
 * {@link AgentClientBuilder#onMessage(String, MessageHandler)}.
 *
 * <p>Runs on the handler executor (see {@link AgentClient} for the threading model), never
 * concurrently with another call for the same channel. The message is acknowledged to the
 * gateway when this method returns or throws; a handler that throws is reported to
 * {@link Listener#error(Throwable)} and the message still counts as delivered (it is not
 * redelivered, which would run the command again). A handler that blocks holds up the messages
 * behind it; see {@link AgentClientBuilder#maxPendingDeliveries(int)}.
 */
@FunctionalInterface
public interface MessageHandler {

  /**
   * Handles one message, seen by this agent exactly once (redeliveries are acknowledged without
   * calling the handler again). For a {@linkplain AgentMessage#isRequest() request}, answer with
   * {@link AgentMessage#reply(com.fasterxml.jackson.databind.JsonNode)}.
   *
   * @throws Exception to report a failure; the message is acknowledged all the same
   */
  void onMessage(AgentMessage message) throws Exception;
}
