package io.aegis.server.gateway;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.vertx.core.http.HttpServerRequest;

/**
 * Fails the connection on a close frame whose status code RFC 6455 §7.4 leaves undefined (5000 and
 * above). Netty's frame decoder refuses the other invalid codes (0–999, 1004–1006, 1015–2999) but
 * lets any code from 3000 up through, and Vert.x answers a close frame by echoing its code before
 * the application sees it: a client sending 5000 got 5000 back. Placed in front of Vert.x's
 * connection handler, this turns such a frame into the same corrupt-frame error the decoder raises,
 * so the session closes with 4006 like for every other framing violation.
 */
@ChannelHandler.Sharable
final class CloseCodeCheck extends ChannelInboundHandlerAdapter {
  static final CloseCodeCheck INSTANCE = new CloseCodeCheck();
  private static final String NAME = "aegis-close-code-check";

  private CloseCodeCheck() {}

  /**
   * Installs the check on {@code req}'s connection; call on its event loop before upgrading it. The
   * WebSocket decoder that the upgrade puts in place of the HTTP decoder sits before it, and the
   * upgrade replaces only Vert.x's handler after it, so the check sees every frame from the first.
   */
  static void install(HttpServerRequest req) {
    var pipeline = ((io.vertx.core.net.impl.ConnectionBase) req.connection()).channel().pipeline();
    if (pipeline.get(NAME) == null && pipeline.get("handler") != null) {
      pipeline.addBefore("handler", NAME, INSTANCE);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof CloseWebSocketFrame f && f.statusCode() > 4999) {
      int code = f.statusCode();
      f.release();
      ctx.fireExceptionCaught(new CorruptedWebSocketFrameException(WebSocketCloseStatus.PROTOCOL_ERROR,
          "invalid close code " + code));
      return;
    }
    ctx.fireChannelRead(msg);
  }
}
