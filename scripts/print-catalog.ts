/** `npm run catalog`: prints the built-in permissions and roles as the Markdown tables in README. */
import { BUILT_IN_PERMISSIONS, BUILT_IN_ROLES } from '../src/permissions/catalog';

const lines = ['| permission | category | description |', '| --- | --- | --- |'];
for (const p of BUILT_IN_PERMISSIONS) lines.push(`| \`${p.name}\` | ${p.category} | ${p.description} |`);
lines.push('', '| role | permissions | description |', '| --- | --- | --- |');
for (const r of BUILT_IN_ROLES) lines.push(`| \`${r.name}\` | ${r.permissions.map((p) => `\`${p}\``).join(', ')} | ${r.description} |`);
process.stdout.write(`${lines.join('\n')}\n`);
