/*
 * Copy guard: nothing leaves a desk through the system clipboard.
 *
 * JupyterLab has no setting for this, so this plugin cancels every copy and cut
 * event before any editor sees it, refuses the asynchronous clipboard API, and
 * says why. Pasting into the desk stays allowed unless the desk policy
 * (policies/desk.yaml: paste_in) says otherwise. Defence in depth only: the
 * container and its network are the wall, and a screenshot cannot be stopped.
 */
const COPY_REFUSED =
  'Copying out of the desk is not allowed. Results leave through OUT and output checking.';
const PASTE_REFUSED = 'Pasting into this desk is not allowed by its policy.';

function notify(app, message) {
  app.commands
    .execute('apputils:notify', { message, type: 'warning', options: { autoClose: 5000 } })
    .catch(() => undefined);
}

function refuseEvent(app, message) {
  return event => {
    event.preventDefault();
    event.stopImmediatePropagation();
    notify(app, message);
  };
}

module.exports = {
  id: 'mdp-copy-guard:plugin',
  description: 'Stops copying from the desk to the system clipboard.',
  autoStart: true,
  activate: async app => {
    const refuseCopy = refuseEvent(app, COPY_REFUSED);
    window.addEventListener('copy', refuseCopy, true);
    window.addEventListener('cut', refuseCopy, true);
    if (navigator.clipboard) {
      const deny = () => {
        notify(app, COPY_REFUSED);
        return Promise.reject(new DOMException(COPY_REFUSED, 'NotAllowedError'));
      };
      for (const name of ['writeText', 'write']) {
        Object.defineProperty(navigator.clipboard, name, { value: deny, writable: false, configurable: false });
      }
    }
    let pasteIn = true;
    try {
      const base = app.serviceManager.serverSettings.baseUrl;
      const reply = await fetch(`${base}mdp-desk/policy`, { credentials: 'same-origin' });
      pasteIn = (await reply.json()).paste_in !== false;
    } catch (err) {
      pasteIn = false; // no policy, no loosening
    }
    if (!pasteIn) {
      window.addEventListener('paste', refuseEvent(app, PASTE_REFUSED), true);
    }
  }
};
