/** How people write division names: the forms an address or a complaint uses besides the NBS name. */

/** 中川村委会 → 中川 + 村; 东门社区居委会 → 东门 + 社区. The core is what follows a town name in an address. */
export function villageForms(official: string): {
  display: string;
  core: string | undefined;
  aliases: string[];
} {
  const patterns: [RegExp, string][] = [
    [/^(.+)社区居民委员会$/, '社区'],
    [/^(.+)社区居委会$/, '社区'],
    [/^(.+)居民委员会$/, '社区'],
    [/^(.+)村民委员会$/, '村'],
    [/^(.+)村委会$/, '村'],
    [/^(.+)社区$/, '社区'],
    [/^(.+)村$/, '村'],
  ];
  for (const [pattern, suffix] of patterns) {
    const core = pattern.exec(official)?.[1];
    if (core) {
      const display = core + suffix;
      const aliases =
        suffix === '村' ? [display, `${core}村委会`, `${core}村民委员会`] : [display, `${core}居委会`];
      return { display, core: core.length >= 2 ? core : undefined, aliases };
    }
  }
  return { display: official, core: undefined, aliases: [] };
}

/**
 * 下洋镇 → 下洋, 东城街道 → 东城, 庐丰畲族乡 → 庐丰 (and 庐丰乡, as people write it). A 街道 is also written as
 * a 镇 (东肖镇, 龙门镇, 平川镇): most were towns until made 街道, and people keep the old name.
 */
export function townForms(official: string): { short: string | undefined; aliases: string[] } {
  const ethnic = /^(.+)畲族乡$/.exec(official)?.[1];
  if (ethnic) return { short: ethnic, aliases: [`${ethnic}乡`] };
  const [, short, suffix] = /^(.+?)(镇|乡|街道)$/.exec(official) ?? [];
  const aliases = short && suffix === '街道' ? [`${short}镇`] : [];
  return { short: short && short.length >= 2 ? short : undefined, aliases };
}

/**
 * What people of a city call its 市区 (龙岩市区): the district that was the old county-level city (新罗区 was
 * the county-level 龙岩市 until 1997). A city not listed has no such alias.
 */
export const urbanDistrictOf: Readonly<Record<string, string>> = { '350800': '350802' };

/** 永定区 → 永定, 漳平市 → 漳平: people drop the suffix in speech and in short addresses. */
export function countyShort(official: string): string | undefined {
  const short = /^(.+)(区|县|市)$/.exec(official)?.[1];
  return short && short.length >= 2 ? short : undefined;
}
