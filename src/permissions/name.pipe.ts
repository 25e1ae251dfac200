import { Injectable, type PipeTransform } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error';

/** Path names of permissions and roles: bounded, from a safe alphabet. */
@Injectable()
export class NamePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!/^[a-z0-9_:*-]{1,128}$/.test(value)) throw DomainError.badRequest('Invalid name in path');
    return value;
  }
}
