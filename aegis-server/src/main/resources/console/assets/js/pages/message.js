// One message (to one agent or a broadcast), followed live until it is finished.

import { href } from '../href.js';
import { fill, h, panel } from '../dom.js';
import { followMessage } from '../progress.js';

export default function messagePage(main, { params, setTitle }) {
  setTitle(`Message ${params.messageId}`);
  const progress = h('div');
  fill(main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: href('send'), text: 'Send & broadcast' }), ' / message'),
    h('div', { class: 'page-head' }, h('h1', { text: 'Message' })),
    panel('Progress', progress, { id: 'message-progress' }));
  return followMessage(progress, params.messageId);
}
