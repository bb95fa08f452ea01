// Your own Handlebars helpers: each exported function is a helper named
// after its export, callable from any template or partial in this folder:
//
//   {{perThousand city.population 1000}}
//
// Helpers are code this project trusts and runs as it is; the data only
// reaches them as arguments. An error thrown here is reported with the
// template file and line of the call.

/** A count per thousand people, rounded to one decimal: {{perThousand 4200 city.population}}. */
export function perThousand(count, population) {
  if (typeof count !== 'number' || typeof population !== 'number' || population <= 0) return '';
  return (Math.round((count / population) * 10000) / 10).toString();
}
