// Words for the text labels: 3-5 capital letters, all drawable with the built-in font. Kept as one list so the
// held-out split (src/world/split.ts) can reserve some of them for the test split.

// prettier-ignore
export const VOCABULARY = [
  'CAT', 'DOG', 'SUN', 'SKY', 'BOX', 'JAM', 'FOX', 'OWL', 'ZIP', 'HUG', 'MAP', 'KEY', 'BUS', 'PEN', 'TEA', 'WAX',
  'MOON', 'STAR', 'TREE', 'BIRD', 'FISH', 'CAKE', 'BOOK', 'LAMP', 'SHOP', 'OPEN', 'SALE', 'CAFE', 'HOME', 'PARK',
  'RAIN', 'SNOW', 'WIND', 'BOAT', 'FROG', 'KING', 'GOLD', 'JAZZ', 'QUIZ', 'FLUX', 'EDIT', 'WAVE', 'MILK', 'YARN',
  'ROBOT', 'APPLE', 'BREAD', 'CLOUD', 'HOUSE', 'LEMON', 'MUSIC', 'PIZZA', 'RIVER', 'TIGER', 'ZEBRA', 'HELLO',
  'WORLD', 'PIANO', 'QUEEN', 'GHOST', 'LIGHT', 'NIGHT', 'VIVID', 'EXTRA',
] as const;
