import type { OutboundMessage } from '@astria/events';

/** Our outbound message → the Graph API `POST /{phone_number_id}/messages` body. Pure. */
export function toGraphPayload(to: string, message: OutboundMessage, replyTo?: string): Record<string, unknown> {
  const base: Record<string, unknown> = { messaging_product: 'whatsapp', recipient_type: 'individual', to };
  if (replyTo && message.kind !== 'reaction' && message.kind !== 'mark_read') base.context = { message_id: replyTo };
  const header = (h: Extract<OutboundMessage, { kind: 'buttons' }>['header']) => {
    if (!h) return undefined;
    if (h.type === 'text') return { type: 'text', text: h.text };
    return { type: h.type, [h.type]: { link: h.link } };
  };
  switch (message.kind) {
    case 'text':
      return { ...base, type: 'text', text: { body: message.body, preview_url: message.previewUrl ?? false } };
    case 'buttons':
      return {
        ...base,
        type: 'interactive',
        interactive: {
          type: 'button',
          ...(message.header ? { header: header(message.header) } : {}),
          body: { text: message.body },
          ...(message.footer ? { footer: { text: message.footer } } : {}),
          action: { buttons: message.buttons.map((b) => ({ type: 'reply', reply: { id: b.id, title: b.title } })) },
        },
      };
    case 'list':
      return {
        ...base,
        type: 'interactive',
        interactive: {
          type: 'list',
          ...(message.header ? { header: { type: 'text', text: message.header } } : {}),
          body: { text: message.body },
          ...(message.footer ? { footer: { text: message.footer } } : {}),
          action: { button: message.button, sections: message.sections },
        },
      };
    case 'cta_url':
      return {
        ...base,
        type: 'interactive',
        interactive: {
          type: 'cta_url',
          ...(message.header ? { header: header(message.header) } : {}),
          body: { text: message.body },
          ...(message.footer ? { footer: { text: message.footer } } : {}),
          action: { name: 'cta_url', parameters: { display_text: message.displayText, url: message.url } },
        },
      };
    case 'image':
      return {
        ...base,
        type: 'image',
        image: { link: message.link, ...(message.caption ? { caption: message.caption } : {}) },
      };
    case 'video':
      return {
        ...base,
        type: 'video',
        video: { link: message.link, ...(message.caption ? { caption: message.caption } : {}) },
      };
    case 'template':
      return {
        ...base,
        type: 'template',
        template: {
          name: message.name,
          language: { code: message.language },
          components: [
            ...(message.parameters?.length
              ? [{ type: 'body', parameters: message.parameters.map((text) => ({ type: 'text', text })) }]
              : []),
            ...(message.buttonPayload
              ? [
                  {
                    type: 'button',
                    sub_type: 'quick_reply',
                    index: '0',
                    parameters: [{ type: 'payload', payload: message.buttonPayload }],
                  },
                ]
              : []),
          ],
        },
      };
    case 'reaction':
      return { ...base, type: 'reaction', reaction: { message_id: message.messageId, emoji: message.emoji } };
    case 'mark_read':
      return {
        messaging_product: 'whatsapp',
        status: 'read',
        message_id: message.messageId,
        ...(message.typing ? { typing_indicator: { type: 'text' } } : {}),
      };
  }
}
