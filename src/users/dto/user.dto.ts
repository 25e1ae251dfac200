import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDate,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page-query.dto';
import { IsOptionalNotNull, IsPermissionList } from '../../common/validation/validators';
import type { UserStatus } from '../entities/user.entity';

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;
const ROLE_NAME = /^[a-z][a-z0-9_-]{0,63}$/;
const USER_STATUSES: UserStatus[] = ['active', 'disabled'];
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateUserDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @Transform(trim)
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'Ada Lovelace', maxLength: 100 })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  @ApiProperty({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX, writeOnly: true })
  @IsString()
  @MinLength(PASSWORD_MIN)
  @MaxLength(PASSWORD_MAX)
  password: string;

  @ApiPropertyOptional({ type: [String], example: ['user'], maxItems: 20, description: 'Defaults to ["user"]' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(ROLE_NAME, { each: true, message: 'each role must be a role name' })
  roles?: string[];

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'The account stops working after this' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  expiresAt?: Date;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ type: [String], description: 'Direct grants, besides roles', example: ['orders:read'], maxItems: 100 })
  @IsOptionalNotNull()
  @IsPermissionList(100)
  permissions?: string[];

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptionalNotNull()
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ enum: USER_STATUSES })
  @IsOptionalNotNull()
  @IsIn(USER_STATUSES)
  status?: UserStatus;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'null removes the expiry' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  expiresAt?: Date | null;
}

export class SetUserRolesDto {
  @ApiProperty({ type: [String], example: ['user', 'auditor'], maxItems: 20 })
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(ROLE_NAME, { each: true, message: 'each role must be a role name' })
  roles: string[];
}

export class ChangePasswordDto {
  @ApiProperty({ writeOnly: true, maxLength: PASSWORD_MAX })
  @IsString()
  @MinLength(1)
  @MaxLength(PASSWORD_MAX)
  currentPassword: string;

  @ApiProperty({ writeOnly: true, minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX })
  @IsString()
  @MinLength(PASSWORD_MIN)
  @MaxLength(PASSWORD_MAX)
  newPassword: string;
}

export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: USER_STATUSES })
  @IsOptional()
  @IsIn(USER_STATUSES)
  status?: UserStatus;

  @ApiPropertyOptional({ description: 'Users holding this role' })
  @IsOptional()
  @Matches(ROLE_NAME)
  role?: string;

  @ApiPropertyOptional({ description: 'Substring of email or name', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;
}

export class UserResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: USER_STATUSES }) status: UserStatus;
  @ApiProperty({ type: [String] }) roles: string[];
  @ApiProperty({ type: [String], description: 'Direct grants, besides roles' }) directPermissions: string[];
  @ApiProperty({ type: [String], description: 'Effective permissions (roles and direct grants)' }) permissions: string[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lockedUntil: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastLoginAt: Date | null;
  @ApiProperty({ type: String, nullable: true }) lastLoginIp: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: Date;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: Date;
}
