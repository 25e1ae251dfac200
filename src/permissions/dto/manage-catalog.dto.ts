import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsPermissionList, PERMISSION_MAX_LENGTH, ROLE_PATTERN } from '../../common/validation/validators';

/** A concrete permission name: `resource:action[:qualifier]`, no wildcards. */
export const CUSTOM_PERMISSION_PATTERN = /^[a-z][a-z0-9_-]*(:[a-z0-9_-]+)+$/;
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class CreatePermissionDto {
  @ApiProperty({ example: 'orders:read', maxLength: PERMISSION_MAX_LENGTH })
  @IsString()
  @MaxLength(PERMISSION_MAX_LENGTH)
  @Matches(CUSTOM_PERMISSION_PATTERN, { message: 'name must look like resource:action (lowercase, no wildcards)' })
  name: string;

  @ApiPropertyOptional({ maxLength: 500, example: 'Read orders' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class UpdatePermissionDto {
  @ApiProperty({ maxLength: 500 })
  @Transform(trim)
  @IsString()
  @MaxLength(500)
  description: string;
}

export class DeleteQueryDto {
  @ApiPropertyOptional({ description: 'Also remove it from every role, user and key holding it', default: false })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  force?: boolean;
}

class RoleFieldsDto {
  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ type: [String], example: ['orders:read', 'orders:write'], maxItems: 200 })
  @IsOptional()
  @IsPermissionList(200)
  permissions?: string[];
}

export class CreateRoleDto extends RoleFieldsDto {
  @ApiProperty({ example: 'orders-reader', maxLength: 64 })
  @IsString()
  @Matches(ROLE_PATTERN, { message: 'name must be 1-64 lowercase letters, digits, _ or -, starting with a letter' })
  name: string;
}

export class UpdateRoleDto extends RoleFieldsDto {}
