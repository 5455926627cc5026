import { Type, type Static } from '@sinclair/typebox';
import { Currency, Id, Money, eventSchema } from './envelope';

const product = {
  product_id: Id(),
  category: Type.Optional(Type.String({ maxLength: 256 })),
  brand: Type.Optional(Type.String({ maxLength: 256 })),
  price: Type.Optional(Money),
  currency: Type.Optional(Currency),
};

const LineItem = Type.Object({
  product_id: Id(),
  category: Type.Optional(Type.String({ maxLength: 256 })),
  price: Type.Optional(Money),
  quantity: Type.Optional(Type.Integer({ minimum: -1e6, maximum: 1e6 })),
});

export const PageView = eventSchema('page_view', 1, Type.Object({
  page_type: Type.Optional(Type.String({ maxLength: 64 })),
  title: Type.Optional(Type.String({ maxLength: 1024 })),
}), 'A page was shown.');

export const ProductView = eventSchema('product_view', 1, Type.Object(product), 'A product detail page was shown.');

export const Search = eventSchema('search', 1, Type.Object({
  query: Type.String({ maxLength: 1024 }),
  results_count: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e9 })),
}), 'A shopper searched the catalog.');

export const AddToCart = eventSchema('add_to_cart', 1, Type.Object({
  ...product,
  quantity: Type.Integer({ minimum: -1e6, maximum: 1e6 }),
}), 'A product was added to the cart.');

export const RemoveFromCart = eventSchema('remove_from_cart', 1, Type.Object({
  ...product,
  quantity: Type.Integer({ minimum: -1e6, maximum: 1e6 }),
}), 'A product was removed from the cart.');

export const BeginCheckout = eventSchema('begin_checkout', 1, Type.Object({
  cart_value: Type.Optional(Money),
  currency: Type.Optional(Currency),
  items: Type.Optional(Type.Array(LineItem, { maxItems: 500 })),
}), 'The shopper started checking out.');

export const Purchase = eventSchema('purchase', 1, Type.Object({
  order_id: Type.Optional(Id()),
  revenue: Money,
  currency: Currency,
  items: Type.Optional(Type.Array(LineItem, { maxItems: 500 })),
}), 'An order was placed. (order_id is optional in the schema so that the rule engine can quarantine a purchase without one with its own reason.)');

/** Every (event_type, schema_version) the platform accepts. Add a version here, never edit one in place. */
export const EVENT_SCHEMAS = [PageView, ProductView, Search, AddToCart, RemoveFromCart, BeginCheckout, Purchase] as const;

export type PageViewEvent = Static<typeof PageView>;
export type ProductViewEvent = Static<typeof ProductView>;
export type SearchEvent = Static<typeof Search>;
export type AddToCartEvent = Static<typeof AddToCart>;
export type RemoveFromCartEvent = Static<typeof RemoveFromCart>;
export type BeginCheckoutEvent = Static<typeof BeginCheckout>;
export type PurchaseEvent = Static<typeof Purchase>;

export type StorefrontEvent =
  | PageViewEvent | ProductViewEvent | SearchEvent | AddToCartEvent
  | RemoveFromCartEvent | BeginCheckoutEvent | PurchaseEvent;

export type EventType = StorefrontEvent['event_type'];
export const EVENT_TYPES = EVENT_SCHEMAS.map((s) => s.properties.event_type.const) as EventType[];
