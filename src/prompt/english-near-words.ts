// English words one typo away from a word of kontext-mini's vocabulary (models/kontext-mini/tokenizer.json): the
// tokenizer reads an unknown word one typo from a vocabulary word as that word ("cirlce" → "circle") unless it is
// listed here, a word of its own ("blur" is not a typo of "blue"). 660 words, made by
// scripts/english-near-words.ts from SCOWL's American English list (Debian wamerican 2020.12.07), whose notice:
//
//   Copyright 2000-2011 by Kevin Atkinson
//
//   Permission to use, copy, modify, distribute and sell these word lists, the associated scripts, the output
//   created from the scripts, and its documentation for any purpose is hereby granted without fee, provided that
//   the above copyright notice appears in all copies and that both that copyright notice and this permission
//   notice appear in supporting documentation. Kevin Atkinson makes no representations about the suitability of
//   this array for any purpose. It is provided "as is" without express or implied warranty.

export const ENGLISH_NEAR_WORDS: ReadonlySet<string> = new Set(
  [
    'across adds alight ally amply anew antennae antennas apple aptly aright around atop awry ayes babe back',
    'backgrounds bade ball bane barb bard bared barer bares barf barn bars base bate beach beaded belay bell belle',
    'bellow bells betters billed billy blacks blank blare blight block blow blown blued bluer blues blur bone bore',
    'bottoms bound bowl bows bray bred brig bright browns brows bugger bully burn busing byes call came canter care',
    'censer centers chance changed changes characters charge chat chow chowing circled circles circlet clack clan',
    'cleft clime clown clue colon colors concert cone convent converts cord cove covert cram crass craw cray creak',
    'creams creamy creatures cress croon crops crow crowd crowns dale dame dank darn dart dawn daylights days deal',
    'deference deft deleted deletes deplete diamonds digger dink dint dirk done dork doted dove drab drag drain',
    'dram dream drew dross dyes each ease eery ekes elate emery enter eras erased eraser erases ever eves ewes exes',
    'eyed fall fame fare felled fellow fetters filed filler fillet filmed fink firs firsts fist flack flight flue',
    'ford form found fray fright frog fulled fusing gale gall game glue gone grab grad gradients gram grange gravy',
    'grays greed greens greet grey gross ground haft hale hall halt hare hark hart hate hath hats header heal',
    'healed heaped heat heated heaved heeded heft herded hint hone hound hove imaged images info intro jelly jigger',
    'jotted kale killed kink kith knew knight lace lack lain larger larges largo lark late lavenders leach leaded',
    'lefts lefty lent lept lest letter lice life lift lights like limb limed limes limn limo limp limy line link',
    'lint lire lite litters live loft lone lord love mace made maker makes mane mark mate maze meal mediums mellow',
    'mike milled mind mine mini mints minty minx mist mitt mode mole mope more mote mound moved mover moves movie',
    'musing name nark netters news newt next nigh nights nighty none object oink olden once ones onto oranges',
    'outlive outlived page pain palace paled paler pales palm pals pane park pate pave peal perch pick pictured',
    'pictures pile pilled pine ping pinks pinky pins pinto pith placed placer places plaice plaid plains plaint',
    'plait plan plane plight poach pole pone pots potted pound pout prawn pray preach preen preference prom punk',
    'punt purpler purples puts putt range rare reach read real ream recd redo redrawn redraws redrew reds reed',
    'referenced references remote removed remover removes rend renter replaced replaces reverence revery rights',
    'rink rotted rotund rounds rove rued safe sage said salmons salon saloon sames sands sandy sang sank sans save',
    'says scar scenes scent scone scow scream seal sear seconds seize send setters shade shades shaft shake shakes',
    'shale shall shames share shares shat shave shaves shifts shifty shirt shit shod shoe shoeing shoo shooing shop',
    'shoring shot shots shoving showings shown shows showy shrift side sift sigh signs sine sing sink sire sitar',
    'site sized sizer sizes skate slack slain slake slat slated slates slats slave slay sleep sleeps sleety slid',
    'slight slime slots slow slowing slue smalls smell snots snow snowing soar sold soled soli solids some sots',
    'sound sowing spar spate spats spay spits sports spot spouts squared squarer squares squire stab stag stair',
    'stake stale stall stand stare stark stars start stat state steal stile stir stole stolid stop stow stowing',
    'strides strikes stripped strips strived strives stye styled styles styli suing swift sword taken taker takes',
    'tall tape teach teak teals team tear teas tedium tell tent tern test texts that thee them then they thin thins',
    'thus tide tile tilled timed timer times tine tint tire toke tome tone tops torn totted tray triangles tsar',
    'turd turf turns tyke unto vale veal very violent violets wale wall ward ware weal weft what while whine whit',
    'whiten whiter whites whits width willed wink wish witch wits wood words wordy wore work world worm worn wound',
    'wove wright write yellows zeal zone',
  ]
    .join(' ')
    .split(' '),
);
