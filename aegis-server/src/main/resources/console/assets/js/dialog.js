// A confirmation for actions that change the fleet (deactivating an agent). A modal <dialog>: focus
// moves into it, Escape cancels, and focus returns to the button that opened it.

import { h } from './dom.js';

/** Resolves to true if the user confirmed. */
export function confirmAction({ title, text, confirmText, danger = false }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const cancel = h('button', { type: 'button', class: 'btn', text: 'Cancel' });
    const confirm = h('button', { type: 'button', class: danger ? 'btn danger solid' : 'btn primary', text: confirmText });
    const dialog = h('dialog', { 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text' },
      h('div', { class: 'dialog-body' }, h('h2', { id: 'confirm-title', text: title }), h('p', { id: 'confirm-text', text })),
      h('div', { class: 'actions' }, cancel, confirm));
    let answer = false;
    cancel.addEventListener('click', () => dialog.close());
    confirm.addEventListener('click', () => { answer = true; dialog.close(); });
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
