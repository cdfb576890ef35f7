/**
 * The chat as the page shows it: every user's conversation, built from what the user did (page →
 * WhatsApp simulator → message service) and from what the bot sent (message service → WhatsApp
 * simulator's Graph API). Pure: no I/O; the sandbox feeds it and persists its snapshot.
 */

export interface ChatButton {
  id: string;
  title: string;
}

export interface ChatListRow {
  id: string;
  title: string;
  description?: string;
}

export interface ChatListSection {
  title?: string;
  rows: ChatListRow[];
}

export type ChatStatus = 'sent' | 'delivered' | 'read' | 'failed';

export interface ChatMessage {
  /** The WhatsApp message id (wamid…) or, for what the page sent before it had one, a local id. */
  id: string;
  phone: string;
  /** in: from the user to the bot; out: from the bot to the user. */
  direction: 'in' | 'out';
  kind:
    | 'text'
    | 'image'
    | 'video'
    | 'document'
    | 'audio'
    | 'sticker'
    | 'buttons'
    | 'list'
    | 'cta'
    | 'template'
    | 'other';
  at: string;
  text?: string;
  caption?: string;
  header?: { text?: string; imageUrl?: string; videoUrl?: string };
  footer?: string;
  mediaUrl?: string;
  buttons?: ChatButton[];
  list?: { button: string; sections: ChatListSection[] };
  cta?: { text: string; url: string };
  /** The message this one replies to (quotes). */
  contextId?: string;
  /** The choice the user made (button or list reply). */
  replyTo?: { id: string; title: string };
  reactions: Array<{ emoji: string; by: 'user' | 'bot' }>;
  status: ChatStatus;
  /** The bot showed its typing indicator after reading this message. */
  typing?: boolean;
  /** Grows with every change: the page keeps the newest copy whichever way (SSE or a response) it came. */
  rev?: number;
}

export type ChatChange = { type: 'message'; message: ChatMessage } | { type: 'user'; phone: string; name: string };

export interface ChatUser {
  phone: string;
  name: string;
}

const STATUS_ORDER: Record<ChatStatus, number> = { sent: 0, delivered: 1, read: 2, failed: 3 };

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** A media object of a Graph send: a link, or a media id the page fetches through the sandbox. */
function mediaUrl(media: Json, mediaPath: (id: string) => string): string | undefined {
  const link = str(media.link);
  if (link) return link;
  const id = str(media.id);
  return id ? mediaPath(id) : undefined;
}

function header(value: unknown, mediaPath: (id: string) => string): ChatMessage['header'] | undefined {
  const h = obj(value);
  switch (h.type) {
    case 'text':
      return { text: str(h.text) ?? '' };
    case 'image':
      return { imageUrl: mediaUrl(obj(h.image), mediaPath) ?? '' };
    case 'video':
      return { videoUrl: mediaUrl(obj(h.video), mediaPath) ?? '' };
    default:
      return undefined;
  }
}

/**
 * What the bot sent, as the page shows it, from the Graph API request body. Returns a reaction or
 * read receipt separately: they change an earlier message rather than adding one.
 */
export function fromGraphSend(
  body: unknown,
  id: string,
  at: string,
  mediaPath: (id: string) => string = (mediaId) => `/api/media/${encodeURIComponent(mediaId)}`,
):
  | { type: 'message'; message: ChatMessage }
  | { type: 'reaction'; phone: string; messageId: string; emoji: string }
  | { type: 'read'; messageId: string; typing: boolean }
  | { type: 'ignored' } {
  const b = obj(body);
  if (b.status === 'read' && str(b.message_id)) {
    return { type: 'read', messageId: str(b.message_id) as string, typing: b.typing_indicator !== undefined };
  }
  const phone = str(b.to) ?? str(b.recipient) ?? '';
  const type = str(b.type) ?? 'text';
  if (type === 'reaction') {
    const reaction = obj(b.reaction);
    return { type: 'reaction', phone, messageId: str(reaction.message_id) ?? '', emoji: str(reaction.emoji) ?? '' };
  }
  const message: ChatMessage = { id, phone, direction: 'out', kind: 'other', at, reactions: [], status: 'sent' };
  const contextId = str(obj(b.context).message_id);
  if (contextId) message.contextId = contextId;
  const typed = obj(b[type]);
  switch (type) {
    case 'text':
      message.kind = 'text';
      message.text = str(typed.body) ?? '';
      break;
    case 'image':
    case 'video':
    case 'audio':
    case 'sticker':
    case 'document':
      message.kind = type;
      message.mediaUrl = mediaUrl(typed, mediaPath) ?? '';
      if (str(typed.caption)) message.caption = str(typed.caption);
      break;
    case 'interactive': {
      const h = header(typed.header, mediaPath);
      if (h) message.header = h;
      message.text = str(obj(typed.body).text) ?? '';
      const footer = str(obj(typed.footer).text);
      if (footer) message.footer = footer;
      const action = obj(typed.action);
      if (typed.type === 'button') {
        message.kind = 'buttons';
        message.buttons = (Array.isArray(action.buttons) ? action.buttons : []).map((button) => {
          const reply = obj(obj(button).reply);
          return { id: str(reply.id) ?? '', title: str(reply.title) ?? '' };
        });
      } else if (typed.type === 'list') {
        message.kind = 'list';
        message.list = {
          button: str(action.button) ?? 'Options',
          sections: (Array.isArray(action.sections) ? action.sections : []).map((section) => {
            const s = obj(section);
            const rows = (Array.isArray(s.rows) ? s.rows : []).map((row) => {
              const r = obj(row);
              const out: ChatListRow = { id: str(r.id) ?? '', title: str(r.title) ?? '' };
              if (str(r.description)) out.description = str(r.description);
              return out;
            });
            return str(s.title) ? { title: str(s.title), rows } : { rows };
          }),
        };
      } else if (typed.type === 'cta_url') {
        message.kind = 'cta';
        const parameters = obj(action.parameters);
        message.cta = { text: str(parameters.display_text) ?? 'Open', url: str(parameters.url) ?? '' };
      } else {
        message.kind = 'other';
      }
      break;
    }
    case 'template':
      message.kind = 'template';
      message.text = `[template ${str(typed.name) ?? ''}]`;
      break;
    default:
      message.text = `[${type}]`;
  }
  return { type: 'message', message };
}

export interface ChatSnapshot {
  users: ChatUser[];
  messages: ChatMessage[];
}

/** Every conversation, with change listeners (the page's SSE stream). */
export class ChatStore {
  private readonly users = new Map<string, ChatUser>();
  private readonly messages = new Map<string, ChatMessage>();
  private readonly listeners = new Set<(change: ChatChange) => void>();
  /** Reactions and receipts that arrived before the message they refer to (the bot can be that quick). */
  private revision = 0;
  private readonly pending = new Map<string, Array<(message: ChatMessage) => ChatMessage>>();

  constructor(snapshot?: ChatSnapshot) {
    for (const user of snapshot?.users ?? []) this.users.set(user.phone, user);
    for (const message of snapshot?.messages ?? []) {
      this.messages.set(message.id, message);
      this.revision = Math.max(this.revision, message.rev ?? 0);
    }
  }

  snapshot(): ChatSnapshot {
    return { users: [...this.users.values()], messages: [...this.messages.values()] };
  }

  listUsers(): ChatUser[] {
    return [...this.users.values()];
  }

  conversation(phone: string): ChatMessage[] {
    return [...this.messages.values()].filter((m) => m.phone === phone);
  }

  get(id: string): ChatMessage | undefined {
    return this.messages.get(id);
  }

  subscribe(listener: (change: ChatChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  addUser(phone: string, name: string): ChatUser {
    const existing = this.users.get(phone);
    if (existing && existing.name === name) return existing;
    const user = { phone, name };
    this.users.set(phone, user);
    this.emit({ type: 'user', phone, name });
    return user;
  }

  /** Adds or replaces a message (by id). */
  put(message: ChatMessage): ChatMessage {
    if (!this.users.has(message.phone)) this.addUser(message.phone, message.phone);
    let next = message;
    const queued = this.pending.get(message.id);
    if (queued) {
      this.pending.delete(message.id);
      for (const update of queued) next = update(next);
    }
    next = { ...next, rev: ++this.revision };
    this.messages.set(next.id, next);
    this.emit({ type: 'message', message: next });
    return next;
  }

  /** Applies what the bot sent through the Graph API. */
  applyBotSend(body: unknown, id: string, at = new Date().toISOString()): void {
    const result = fromGraphSend(body, id, at);
    switch (result.type) {
      case 'message':
        this.put(result.message);
        return;
      case 'reaction':
        this.react(result.messageId, result.emoji, 'bot');
        return;
      case 'read':
        this.setStatus(result.messageId, 'read', result.typing);
        return;
      default:
        return;
    }
  }

  react(messageId: string, emoji: string, by: 'user' | 'bot'): void {
    this.update(messageId, (message) => {
      // One reaction per side, as in WhatsApp; an empty emoji removes it.
      const reactions = message.reactions.filter((r) => r.by !== by);
      if (emoji) reactions.push({ emoji, by });
      return { ...message, reactions };
    });
  }

  /** Moves a status forward only (delivery reports arrive out of order). */
  setStatus(messageId: string, status: ChatStatus, typing?: boolean): void {
    this.update(messageId, (message) => {
      const forward = STATUS_ORDER[status] > STATUS_ORDER[message.status];
      const next = { ...message, status: forward ? status : message.status };
      if (typing !== undefined) next.typing = typing;
      return next;
    });
  }

  private update(messageId: string, change: (message: ChatMessage) => ChatMessage): void {
    const message = this.messages.get(messageId);
    if (message) {
      this.put(change(message));
      return;
    }
    const queued = this.pending.get(messageId) ?? [];
    queued.push(change);
    this.pending.set(messageId, queued);
    if (this.pending.size > 1000) {
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) this.pending.delete(oldest);
    }
  }

  private emit(change: ChatChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // a closed stream must not break the chat
      }
    }
  }
}
