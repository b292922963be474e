package io.aegis.server.routing;

import io.aegis.server.api.Access;
import io.aegis.server.api.Scope;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.Reply;
import io.vertx.core.http.HttpMethod;
import java.util.List;

/** {@code GET /api/v1/channels}: every channel agents use, with subscriber and sender counts. */
public final class ChannelRoutes {
  record ChannelList(List<Subscriptions.ChannelSummary> channels) {}

  private final Subscriptions subscriptions;

  public ChannelRoutes(Subscriptions subscriptions) {
    this.subscriptions = subscriptions;
  }

  public void mount(ApiRouter api) {
    api.route(HttpMethod.GET, "/api/v1/channels", Access.operator(Scope.READ), r -> Reply.ok(new ChannelList(subscriptions.summary())));
  }
}
